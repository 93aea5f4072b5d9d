//! IAM's wildcards: `*` matches any run of characters (also none), `?` exactly one.

/// Whether `text` matches `pattern`; actions compare without regard to ASCII case,
/// resources and condition strings exactly.
pub fn matches(pattern: &str, text: &str, ignore_case: bool) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let same = |a: char, b: char| {
        if ignore_case {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    // The two-pointer match with one backtrack point: every `*` only ever moves forward,
    // so the work is bounded by the product of the lengths, never exponential.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || (p[pi] != '*' && same(p[pi], t[ti]))) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
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
    p[pi..].iter().all(|c| *c == '*')
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
