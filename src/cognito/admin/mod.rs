//! The admin operations (SigV4 and IAM, see `cognito::iam`): pools, clients, resource
//! servers, users and groups, each one parse, one core call and one render.

pub mod client_shapes;
pub mod clients;
pub mod groups;
pub mod pool_shapes;
pub mod pools;
pub mod resource_servers;
pub mod users;

use crate::cognito::Call;
use crate::cognito::protocol::{Answer, Exception, Kind};

/// The admin operations Cognate offers.
const ADMIN: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "UpdateUserPool",
    "DeleteUserPool",
    "ListUserPools",
    "GetUserPoolMfaConfig",
    "SetUserPoolMfaConfig",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "ListUserPoolClients",
    "CreateResourceServer",
    "DescribeResourceServer",
    "UpdateResourceServer",
    "DeleteResourceServer",
    "ListResourceServers",
    "AdminCreateUser",
    "AdminGetUser",
    "AdminDeleteUser",
    "AdminUpdateUserAttributes",
    "AdminDeleteUserAttributes",
    "AdminEnableUser",
    "AdminDisableUser",
    "AdminConfirmSignUp",
    "AdminSetUserPassword",
    "AdminResetUserPassword",
    "AdminInitiateAuth",
    "AdminRespondToAuthChallenge",
    "AdminUserGlobalSignOut",
    "AdminSetUserMFAPreference",
    "ListUsers",
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "DeleteGroup",
    "ListGroups",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "ListUsersInGroup",
];

pub fn is_admin(operation: &str) -> bool {
    ADMIN.contains(&operation)
}

pub async fn dispatch(call: &Call<'_>, operation: &str) -> Answer {
    match operation {
        "CreateUserPool" => pools::create_user_pool(call).await,
        "DescribeUserPool" => pools::describe_user_pool(call).await,
        "UpdateUserPool" => pools::update_user_pool(call).await,
        "DeleteUserPool" => pools::delete_user_pool(call).await,
        "ListUserPools" => pools::list_user_pools(call).await,
        "GetUserPoolMfaConfig" => pools::get_user_pool_mfa_config(call).await,
        "SetUserPoolMfaConfig" => pools::set_user_pool_mfa_config(call).await,
        "CreateUserPoolClient" => clients::create_user_pool_client(call).await,
        "DescribeUserPoolClient" => clients::describe_user_pool_client(call).await,
        "UpdateUserPoolClient" => clients::update_user_pool_client(call).await,
        "DeleteUserPoolClient" => clients::delete_user_pool_client(call).await,
        "ListUserPoolClients" => clients::list_user_pool_clients(call).await,
        "CreateResourceServer" => resource_servers::create_resource_server(call).await,
        "DescribeResourceServer" => resource_servers::describe_resource_server(call).await,
        "UpdateResourceServer" => resource_servers::update_resource_server(call).await,
        "DeleteResourceServer" => resource_servers::delete_resource_server(call).await,
        "ListResourceServers" => resource_servers::list_resource_servers(call).await,
        "AdminCreateUser" => users::admin_create_user(call).await,
        "AdminGetUser" => users::admin_get_user(call).await,
        "AdminDeleteUser" => users::admin_delete_user(call).await,
        "AdminUpdateUserAttributes" => users::admin_update_user_attributes(call).await,
        "AdminDeleteUserAttributes" => users::admin_delete_user_attributes(call).await,
        "AdminEnableUser" => users::admin_set_enabled(call, true).await,
        "AdminDisableUser" => users::admin_set_enabled(call, false).await,
        "AdminConfirmSignUp" => users::admin_confirm_sign_up(call).await,
        "AdminSetUserPassword" => users::admin_set_user_password(call).await,
        "AdminResetUserPassword" => users::admin_reset_user_password(call).await,
        "AdminInitiateAuth" => users::admin_initiate_auth(call).await,
        "AdminRespondToAuthChallenge" => users::admin_respond_to_auth_challenge(call).await,
        "AdminUserGlobalSignOut" => users::admin_user_global_sign_out(call).await,
        "AdminSetUserMFAPreference" => users::admin_set_user_mfa_preference(call).await,
        "ListUsers" => users::list_users(call).await,
        "CreateGroup" => groups::create_group(call).await,
        "GetGroup" => groups::get_group(call).await,
        "UpdateGroup" => groups::update_group(call).await,
        "DeleteGroup" => groups::delete_group(call).await,
        "ListGroups" => groups::list_groups(call).await,
        "AdminAddUserToGroup" => groups::admin_add_user_to_group(call).await,
        "AdminRemoveUserFromGroup" => groups::admin_remove_user_from_group(call).await,
        "AdminListGroupsForUser" => groups::admin_list_groups_for_user(call).await,
        "ListUsersInGroup" => groups::list_users_in_group(call).await,
        other => Err(Exception::new(
            Kind::UnsupportedOperation,
            format!("Cognate does not support the operation {other} yet."),
        )),
    }
}
