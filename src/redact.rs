//! `Debug` for values that hold secrets: only the fields named are printed, so whatever is
//! not named (a password hash, a sealed key, a mail body) never reaches a log.

/// Implements `Debug` for `$type`, printing only the fields named.
macro_rules! debug_fields {
    ($type:ident { $($field:ident),+ $(,)? }) => {
        impl std::fmt::Debug for $type {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($type))
                    $(.field(stringify!($field), &self.$field))+
                    .finish_non_exhaustive()
            }
        }
    };
}

pub(crate) use debug_fields;
