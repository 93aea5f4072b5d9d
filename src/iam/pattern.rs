//! IAM's wildcards: `*` matches any run of characters (also none), `?` exactly one.

/// Whether `text` matches `pattern`; actions compare without regard to ASCII case,
/// resources and condition strings exactly.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    // Actions and ARNs are ASCII: compare bytes then, without collecting characters.
    if pattern.is_ascii() && text.is_ascii() {
        return wildcard(pattern.as_bytes(), text.as_bytes(), |a, b| {
            if ignore_case {
                a.eq_ignore_ascii_case(&b)
            } else {
                a == b
            }
        });
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    wildcard(&p, &t, |a, b| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    })
}

/// Characters or bytes that can be the wildcards `*` and `?`.
trait Symbol: Copy + PartialEq {
    const STAR: Self;
    const ONE: Self;
}

impl Symbol for u8 {
    const STAR: Self = b'*';
    const ONE: Self = b'?';
}

impl Symbol for char {
    const STAR: Self = '*';
    const ONE: Self = '?';
}

fn wildcard<T: Symbol>(p: &[T], t: &[T], same: impl Fn(T, T) -> bool) -> bool {
    // The two-pointer match with one backtrack point: every `*` only ever moves forward,
    // so the work is bounded by the product of the lengths, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == T::ONE || (p[pi] != T::STAR && same(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == T::STAR {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == T::STAR)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn stars_and_question_marks() {
        assert!(matches("*", "", false));
        assert!(matches("cognito-idp:*", "cognito-idp:ListUsers", true));
        assert!(matches("cognito-idp:List*", "cognito-idp:ListUsers", true));
        assert!(matches("cognito-idp:list*", "COGNITO-IDP:ListUsers", true));
        assert!(!matches(
            "cognito-idp:list*",
            "cognito-idp:ListUsers",
            false
        ));
        assert!(matches("a?c", "abc", false));
        assert!(!matches("a?c", "ac", false));
        assert!(matches("*a*b*", "xxaxxbxx", false));
        assert!(!matches("*a*b", "xxaxxbxxc", false));
        assert!(matches(
            "arn:aws:iam::*:user/*",
            "arn:aws:iam::000000000000:user/ann",
            false
        ));
    }

    #[test]
    fn a_hostile_pattern_stays_cheap() {
        let pattern = "*a".repeat(500);
        let text = "a".repeat(5_000) + "b";
        assert!(!matches(&pattern, &text, false));
    }
}
