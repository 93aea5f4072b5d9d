//! Which IAM action each admin route is, and what it acts on, as Cognito and IAM name them:
//! the route table (`pool_routes`, `iam_routes`) and the matching of a request against it.

mod iam_routes;
mod pool_routes;
pub mod route;

use crate::iam::actions::iam_routes::IAM_ROUTES;
use crate::iam::actions::pool_routes::POOL_ROUTES;
use crate::iam::actions::route::Route;

/// Every admin route, the pools' then IAM's.
pub const ROUTES: [Route; 87] = join(POOL_ROUTES, IAM_ROUTES);

/// `first` then `second` as one array; a wrong length `N` fails the build.
const fn join<const A: usize, const B: usize, const N: usize>(
    first: [Route; A],
    second: [Route; B],
) -> [Route; N] {
    assert!(A + B == N, "ROUTES holds both tables");
    let mut out = [first[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < A { first[i] } else { second[i - A] };
        i += 1;
    }
    out
}

/// The route `pattern` answers to `method`.
pub fn route(method: &str, pattern: &str) -> Option<&'static Route> {
    ROUTES
        .iter()
        .find(|r| r.method.eq_ignore_ascii_case(method) && r.pattern == pattern)
}

/// The action of the route `pattern` (as under `/admin/v1`, with `{…}` placeholders).
pub fn action_for(method: &str, pattern: &str) -> Option<&'static str> {
    route(method, pattern).map(|r| r.action)
}

/// The route a request path (under `/admin/v1`, still percent-encoded) is, and the values of
/// its placeholders, percent-decoded. Literal segments must match as sent: a path that only
/// matches once decoded matches no route here, and is refused.
pub fn match_route(
    method: &str,
    path: &str,
) -> Option<(&'static Route, Vec<(&'static str, String)>)> {
    let asked: Vec<&str> = path.split('/').collect();
    ROUTES.iter().find_map(|route| {
        if !route.method.eq_ignore_ascii_case(method) {
            return None;
        }
        let template: Vec<&'static str> = route.pattern.split('/').collect();
        if template.len() != asked.len() {
            return None;
        }
        let mut values = Vec::new();
        for (part, given) in template.iter().zip(&asked) {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) if !given.is_empty() => values.push((
                    name,
                    percent_encoding::percent_decode_str(given)
                        .decode_utf8_lossy()
                        .into_owned(),
                )),
                Some(_) => return None,
                None if part == given => {}
                None => return None,
            }
        }
        Some((route, values))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::actions::route::Target;
    use crate::iam::arn::{iam_arn, resource_for};
    use crate::store::iam::Kind;

    #[test]
    fn each_route_has_one_action_and_each_action_one_route() {
        let mut pairs: Vec<(&str, &str)> = ROUTES.iter().map(|r| (r.method, r.pattern)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), ROUTES.len());
        let mut actions: Vec<&str> = ROUTES.iter().map(|r| r.action).collect();
        actions.sort_unstable();
        actions.dedup();
        assert_eq!(actions.len(), ROUTES.len());
    }

    #[test]
    fn routes_map_to_cognitos_names_and_pool_arns() {
        assert_eq!(
            action_for("get", "/pools/{pool_id}"),
            Some("cognito-idp:DescribeUserPool")
        );
        assert_eq!(action_for("GET", "/pools/{pool_id}/nothing"), None);
        assert_eq!(
            resource_for("eu-west-1", "000000000000", Some("eu-west-1_abc")),
            "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/eu-west-1_abc"
        );
        assert_eq!(resource_for("eu-west-1", "000000000000", None), "*");
        assert_eq!(
            iam_arn("123456789012", Kind::Role, "ops"),
            "arn:aws:iam::123456789012:role/ops"
        );
    }

    #[test]
    fn requests_match_routes_only_as_sent() {
        let (route, values) = match_route("DELETE", "/pools/p%5F1/users/a%40b").unwrap();
        assert_eq!(route.action, "cognito-idp:AdminDeleteUser");
        assert_eq!(
            values,
            [("pool_id", "p_1".into()), ("username", "a@b".into())]
        );
        assert!(match_route("GET", "/%70ools").is_none());
        assert!(match_route("GET", "/pools//users").is_none());
        assert!(match_route("PUT", "/pools").is_none());
        let (route, _) = match_route("POST", "/sts/assume-role").unwrap();
        assert_eq!(route.target, Target::Body(Kind::Role, "role_name"));
    }
}
