//! The admin API's own bodies and answers: strict (an unknown field is refused by name) and
//! documented, converted to and from the core's types with `From`, field by field.

pub mod clients;
pub mod groups;
pub mod identity_providers;
pub mod pools;
pub mod resource_servers;
pub mod users;

/// One field's conversion: `Into` unless a function is named.
macro_rules! convert {
    ($value:expr) => {
        ::core::convert::Into::into($value)
    };
    ($value:expr, $via:path) => {
        $via($value)
    };
}

/// `From<$from> for $to`, moving each named field across (`field: via` converts it with
/// `via`); a field either side lacks is a compile error, so the two cannot drift apart.
macro_rules! fields {
    ($from:ty => $to:ty { $($field:ident $(: $via:path)?),* $(,)? }) => {
        impl From<$from> for $to {
            fn from(value: $from) -> Self {
                Self { $($field: $crate::admin::wire::convert!(value.$field $(, $via)?)),* }
            }
        }
    };
}

/// `fields!` both ways, for a shape the API both reads and shows.
macro_rules! mirror {
    ($wire:ty, $core:ty { $($field:ident $(: $via:path)?),* $(,)? }) => {
        $crate::admin::wire::fields!($wire => $core { $($field $(: $via)?),* });
        $crate::admin::wire::fields!($core => $wire { $($field $(: $via)?),* });
    };
}

pub(crate) use {convert, fields, mirror};

/// One page of a list, and the token that asks for the next one.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_token: Option<String>,
}

impl<C, W: From<C>> From<crate::store::paging::Page<C>> for Page<W> {
    fn from(page: crate::store::paging::Page<C>) -> Self {
        Page {
            items: each(page.items),
            next_token: page.next_token,
        }
    }
}

/// Each item converted.
pub fn each<A: Into<B>, B>(items: Vec<A>) -> Vec<B> {
    items.into_iter().map(Into::into).collect()
}

/// The value, if any, converted.
pub fn some<A: Into<B>, B>(value: Option<A>) -> Option<B> {
    value.map(Into::into)
}

/// The list, if any, each item converted.
pub fn some_each<A: Into<B>, B>(items: Option<Vec<A>>) -> Option<Vec<B>> {
    items.map(each)
}
