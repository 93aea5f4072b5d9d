//! Which IAM action each admin route is, and the resource it acts on, as Cognito names
//! them: a policy written for AWS Cognito then reads the same here. Operations Cognito has
//! no name for are `cognate:`.

/// (method, route under `/admin/v1`, action).
pub const ROUTES: [(&str, &str, &str); 39] = [
    ("POST", "/pools", "cognito-idp:CreateUserPool"),
    ("GET", "/pools", "cognito-idp:ListUserPools"),
    ("GET", "/pools/{pool_id}", "cognito-idp:DescribeUserPool"),
    ("PATCH", "/pools/{pool_id}", "cognito-idp:UpdateUserPool"),
    ("DELETE", "/pools/{pool_id}", "cognito-idp:DeleteUserPool"),
    (
        "POST",
        "/pools/{pool_id}/keys/rotate",
        "cognate:RotateSigningKey",
    ),
    (
        "POST",
        "/pools/{pool_id}/clients",
        "cognito-idp:CreateUserPoolClient",
    ),
    (
        "GET",
        "/pools/{pool_id}/clients",
        "cognito-idp:ListUserPoolClients",
    ),
    (
        "GET",
        "/pools/{pool_id}/clients/{client_id}",
        "cognito-idp:DescribeUserPoolClient",
    ),
    (
        "PATCH",
        "/pools/{pool_id}/clients/{client_id}",
        "cognito-idp:UpdateUserPoolClient",
    ),
    (
        "DELETE",
        "/pools/{pool_id}/clients/{client_id}",
        "cognito-idp:DeleteUserPoolClient",
    ),
    (
        "POST",
        "/pools/{pool_id}/clients/{client_id}/secret",
        "cognate:RotateClientSecret",
    ),
    (
        "POST",
        "/pools/{pool_id}/resource-servers",
        "cognito-idp:CreateResourceServer",
    ),
    (
        "GET",
        "/pools/{pool_id}/resource-servers",
        "cognito-idp:ListResourceServers",
    ),
    (
        "GET",
        "/pools/{pool_id}/resource-servers/{identifier}",
        "cognito-idp:DescribeResourceServer",
    ),
    (
        "PUT",
        "/pools/{pool_id}/resource-servers/{identifier}",
        "cognito-idp:UpdateResourceServer",
    ),
    (
        "DELETE",
        "/pools/{pool_id}/resource-servers/{identifier}",
        "cognito-idp:DeleteResourceServer",
    ),
    (
        "POST",
        "/pools/{pool_id}/users",
        "cognito-idp:AdminCreateUser",
    ),
    ("GET", "/pools/{pool_id}/users", "cognito-idp:ListUsers"),
    (
        "GET",
        "/pools/{pool_id}/users/{username}",
        "cognito-idp:AdminGetUser",
    ),
    (
        "PATCH",
        "/pools/{pool_id}/users/{username}",
        "cognito-idp:AdminUpdateUserAttributes",
    ),
    (
        "DELETE",
        "/pools/{pool_id}/users/{username}",
        "cognito-idp:AdminDeleteUser",
    ),
    (
        "POST",
        "/pools/{pool_id}/users/{username}/disable",
        "cognito-idp:AdminDisableUser",
    ),
    (
        "POST",
        "/pools/{pool_id}/users/{username}/enable",
        "cognito-idp:AdminEnableUser",
    ),
    (
        "POST",
        "/pools/{pool_id}/users/{username}/confirm",
        "cognito-idp:AdminConfirmSignUp",
    ),
    (
        "POST",
        "/pools/{pool_id}/users/{username}/password",
        "cognito-idp:AdminSetUserPassword",
    ),
    (
        "POST",
        "/pools/{pool_id}/users/{username}/reset-password",
        "cognito-idp:AdminResetUserPassword",
    ),
    (
        "POST",
        "/pools/{pool_id}/users/{username}/sign-out",
        "cognito-idp:AdminUserGlobalSignOut",
    ),
    (
        "GET",
        "/pools/{pool_id}/users/{username}/groups",
        "cognito-idp:AdminListGroupsForUser",
    ),
    (
        "PUT",
        "/pools/{pool_id}/users/{username}/mfa",
        "cognito-idp:AdminSetUserMFAPreference",
    ),
    // Cognito has no admin call that removes a user's authenticator app.
    (
        "DELETE",
        "/pools/{pool_id}/users/{username}/mfa/totp",
        "cognate:AdminRemoveSoftwareToken",
    ),
    ("POST", "/pools/{pool_id}/groups", "cognito-idp:CreateGroup"),
    ("GET", "/pools/{pool_id}/groups", "cognito-idp:ListGroups"),
    (
        "GET",
        "/pools/{pool_id}/groups/{name}",
        "cognito-idp:GetGroup",
    ),
    (
        "PATCH",
        "/pools/{pool_id}/groups/{name}",
        "cognito-idp:UpdateGroup",
    ),
    (
        "DELETE",
        "/pools/{pool_id}/groups/{name}",
        "cognito-idp:DeleteGroup",
    ),
    (
        "GET",
        "/pools/{pool_id}/groups/{name}/members",
        "cognito-idp:ListUsersInGroup",
    ),
    (
        "PUT",
        "/pools/{pool_id}/groups/{name}/members/{username}",
        "cognito-idp:AdminAddUserToGroup",
    ),
    (
        "DELETE",
        "/pools/{pool_id}/groups/{name}/members/{username}",
        "cognito-idp:AdminRemoveUserFromGroup",
    ),
];

/// The action of the route `pattern` (as under `/admin/v1`, with `{…}` placeholders).
pub fn action_for(method: &str, pattern: &str) -> Option<&'static str> {
    ROUTES
        .iter()
        .find(|(m, p, _)| m.eq_ignore_ascii_case(method) && *p == pattern)
        .map(|(_, _, action)| *action)
}

/// A user pool's ARN, exactly as Cognito's.
pub fn pool_arn(region: &str, account: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{region}:{account}:userpool/{pool_id}")
}

/// What the route acts on: its pool's ARN, or `*` for the routes on no single pool
/// (`ListUserPools`, `CreateUserPool`), as in AWS.
pub fn resource_for(region: &str, account: &str, pool_id: Option<&str>) -> String {
    pool_id.map_or_else(|| "*".to_string(), |id| pool_arn(region, account, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_has_one_action_and_each_action_one_route() {
        let mut pairs: Vec<(&str, &str)> = ROUTES.iter().map(|(m, p, _)| (*m, *p)).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), ROUTES.len());
        let mut actions: Vec<&str> = ROUTES.iter().map(|(_, _, a)| *a).collect();
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
    }
}
