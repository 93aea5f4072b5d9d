//! The Cognito API's admin operations for resource servers and groups through AWS's SDK
//! for Rust, and every pool, client, resource server and group operation refused to an IAM
//! user whose policy lacks its action.

use aws_sdk_cognitoidentityprovider::types::ResourceServerScopeType;

use crate::helpers::Backend;
use crate::helpers::cognito::{env, sdk};
use crate::helpers::iam::allow;
use crate::{code_of, on_both};

on_both!(
    resource_servers_through_the_sdk,
    groups_through_the_sdk,
    each_operation_needs_its_action,
);

fn scope(name: &str, description: &str) -> ResourceServerScopeType {
    ResourceServerScopeType::builder()
        .scope_name(name)
        .scope_description(description)
        .build()
        .expect("a scope has a name and a description")
}

async fn resource_servers_through_the_sdk(backend: Backend) {
    let env = env(backend).await;
    let made = env
        .admin
        .create_resource_server()
        .user_pool_id(&env.pool)
        .identifier("https://api.example.com")
        .name("API")
        .scopes(scope("read", "Read things"))
        .send()
        .await
        .expect("CreateResourceServer");
    let server = made.resource_server().expect("the server");
    assert_eq!(server.identifier(), Some("https://api.example.com"));
    assert_eq!(server.user_pool_id(), Some(env.pool.as_str()));
    let again = code_of!(
        env.admin
            .create_resource_server()
            .user_pool_id(&env.pool)
            .identifier("https://api.example.com")
            .name("Again")
    );
    assert_eq!(again.as_deref(), Some("InvalidParameterException"));

    env.admin
        .update_resource_server()
        .user_pool_id(&env.pool)
        .identifier("https://api.example.com")
        .name("The API")
        .scopes(scope("read", "Read things"))
        .scopes(scope("write", "Write things"))
        .send()
        .await
        .expect("UpdateResourceServer");
    let described = env
        .admin
        .describe_resource_server()
        .user_pool_id(&env.pool)
        .identifier("https://api.example.com")
        .send()
        .await
        .expect("DescribeResourceServer");
    let server = described.resource_server().expect("the server");
    assert_eq!(server.name(), Some("The API"));
    let names: Vec<&str> = server.scopes().iter().map(|s| s.scope_name()).collect();
    assert_eq!(names, ["read", "write"]);

    let listed = env
        .admin
        .list_resource_servers()
        .user_pool_id(&env.pool)
        .max_results(10)
        .send()
        .await
        .expect("ListResourceServers");
    assert_eq!(listed.resource_servers().len(), 1);
    assert_eq!(listed.resource_servers()[0].scopes().len(), 2);

    env.admin
        .delete_resource_server()
        .user_pool_id(&env.pool)
        .identifier("https://api.example.com")
        .send()
        .await
        .expect("DeleteResourceServer");
    let gone = code_of!(
        env.admin
            .describe_resource_server()
            .user_pool_id(&env.pool)
            .identifier("https://api.example.com")
    );
    assert_eq!(gone.as_deref(), Some("ResourceNotFoundException"));
}

async fn groups_through_the_sdk(backend: Backend) {
    let env = env(backend).await;
    let admin = &env.admin;
    for (name, precedence) in [("admins", 1), ("editors", 2), ("readers", 3)] {
        let made = admin
            .create_group()
            .user_pool_id(&env.pool)
            .group_name(name)
            .description(format!("The {name}"))
            .precedence(precedence)
            .send()
            .await
            .expect("CreateGroup");
        let group = made.group().expect("the group");
        assert_eq!(group.precedence(), Some(precedence));
        assert_eq!(group.user_pool_id(), Some(env.pool.as_str()));
    }
    let taken = code_of!(
        admin
            .create_group()
            .user_pool_id(&env.pool)
            .group_name("admins")
    );
    assert_eq!(taken.as_deref(), Some("GroupExistsException"));

    admin
        .update_group()
        .user_pool_id(&env.pool)
        .group_name("admins")
        .description("Everyone in charge")
        .send()
        .await
        .expect("UpdateGroup");
    let got = admin
        .get_group()
        .user_pool_id(&env.pool)
        .group_name("admins")
        .send()
        .await
        .expect("GetGroup");
    let group = got.group().expect("the group");
    assert_eq!(group.description(), Some("Everyone in charge"));
    assert_eq!(group.precedence(), Some(1));

    let first = admin
        .list_groups()
        .user_pool_id(&env.pool)
        .limit(2)
        .send()
        .await
        .expect("ListGroups");
    assert_eq!(first.groups().len(), 2);
    let rest = admin
        .list_groups()
        .user_pool_id(&env.pool)
        .limit(2)
        .set_next_token(first.next_token().map(String::from))
        .send()
        .await
        .expect("ListGroups, page 2");
    let names: Vec<_> = first
        .groups()
        .iter()
        .chain(rest.groups())
        .filter_map(|g| g.group_name())
        .collect();
    assert_eq!(names, ["admins", "editors", "readers"]);
    assert!(rest.next_token().is_none());

    for user in ["alice", "bob"] {
        env.confirmed_user(user, &format!("{user}@example.com"))
            .await;
        admin
            .admin_add_user_to_group()
            .user_pool_id(&env.pool)
            .username(user)
            .group_name("editors")
            .send()
            .await
            .expect("AdminAddUserToGroup");
    }
    let (mut members, mut token) = (Vec::new(), None);
    loop {
        let page = admin
            .list_users_in_group()
            .user_pool_id(&env.pool)
            .group_name("editors")
            .limit(1)
            .set_next_token(token)
            .send()
            .await
            .expect("ListUsersInGroup");
        assert!(page.users().len() <= 1);
        members.extend(
            page.users()
                .iter()
                .filter_map(|u| u.username())
                .map(String::from),
        );
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    assert_eq!(members, ["alice", "bob"]);
    let of_alice = admin
        .admin_list_groups_for_user()
        .user_pool_id(&env.pool)
        .username("alice")
        .send()
        .await
        .expect("AdminListGroupsForUser");
    assert_eq!(of_alice.groups().len(), 1);
    assert_eq!(of_alice.groups()[0].group_name(), Some("editors"));

    admin
        .admin_remove_user_from_group()
        .user_pool_id(&env.pool)
        .username("alice")
        .group_name("editors")
        .send()
        .await
        .expect("AdminRemoveUserFromGroup");
    let of_alice = admin
        .admin_list_groups_for_user()
        .user_pool_id(&env.pool)
        .username("alice")
        .send()
        .await
        .expect("AdminListGroupsForUser");
    assert!(of_alice.groups().is_empty());

    let nobody = code_of!(
        admin
            .admin_add_user_to_group()
            .user_pool_id(&env.pool)
            .username("nobody")
            .group_name("editors")
    );
    assert_eq!(nobody.as_deref(), Some("UserNotFoundException"));
    let no_pool = code_of!(admin.list_groups().user_pool_id("local_AAAAAAAAA"));
    assert_eq!(no_pool.as_deref(), Some("ResourceNotFoundException"));
    let role = code_of!(
        admin
            .create_group()
            .user_pool_id(&env.pool)
            .group_name("roled")
            .role_arn("arn:aws:iam::000000000000:role/r")
    );
    assert_eq!(role.as_deref(), Some("InvalidParameterException"));

    admin
        .delete_group()
        .user_pool_id(&env.pool)
        .group_name("editors")
        .send()
        .await
        .expect("DeleteGroup");
    let gone = code_of!(
        admin
            .get_group()
            .user_pool_id(&env.pool)
            .group_name("editors")
    );
    assert_eq!(gone.as_deref(), Some("ResourceNotFoundException"));
}

async fn each_operation_needs_its_action(backend: Backend) {
    let env = env(backend).await;
    let key = env
        .app
        .iam_user_with("lister", allow(&["cognito-idp:ListUserPools"], &["*"]))
        .await;
    let c = sdk(&env.app, Some(&key)).await;
    assert_eq!(
        code_of!(c.list_user_pools().max_results(10)),
        None,
        "the one allowed"
    );
    let p = env.pool.as_str();
    let cid = env.client_id.as_str();
    let rs = "https://api.example.com";
    let refused = [
        (
            "CreateUserPool",
            code_of!(c.create_user_pool().pool_name("x")),
        ),
        (
            "DescribeUserPool",
            code_of!(c.describe_user_pool().user_pool_id(p)),
        ),
        (
            "UpdateUserPool",
            code_of!(c.update_user_pool().user_pool_id(p)),
        ),
        (
            "DeleteUserPool",
            code_of!(c.delete_user_pool().user_pool_id(p)),
        ),
        (
            "GetUserPoolMfaConfig",
            code_of!(c.get_user_pool_mfa_config().user_pool_id(p)),
        ),
        (
            "SetUserPoolMfaConfig",
            code_of!(c.set_user_pool_mfa_config().user_pool_id(p)),
        ),
        (
            "CreateUserPoolClient",
            code_of!(c.create_user_pool_client().user_pool_id(p).client_name("x")),
        ),
        (
            "DescribeUserPoolClient",
            code_of!(c.describe_user_pool_client().user_pool_id(p).client_id(cid)),
        ),
        (
            "UpdateUserPoolClient",
            code_of!(c.update_user_pool_client().user_pool_id(p).client_id(cid)),
        ),
        (
            "DeleteUserPoolClient",
            code_of!(c.delete_user_pool_client().user_pool_id(p).client_id(cid)),
        ),
        (
            "ListUserPoolClients",
            code_of!(c.list_user_pool_clients().user_pool_id(p)),
        ),
        (
            "CreateResourceServer",
            code_of!(
                c.create_resource_server()
                    .user_pool_id(p)
                    .identifier(rs)
                    .name("x")
            ),
        ),
        (
            "DescribeResourceServer",
            code_of!(c.describe_resource_server().user_pool_id(p).identifier(rs)),
        ),
        (
            "UpdateResourceServer",
            code_of!(
                c.update_resource_server()
                    .user_pool_id(p)
                    .identifier(rs)
                    .name("x")
            ),
        ),
        (
            "DeleteResourceServer",
            code_of!(c.delete_resource_server().user_pool_id(p).identifier(rs)),
        ),
        (
            "ListResourceServers",
            code_of!(c.list_resource_servers().user_pool_id(p)),
        ),
        (
            "CreateGroup",
            code_of!(c.create_group().user_pool_id(p).group_name("g")),
        ),
        (
            "GetGroup",
            code_of!(c.get_group().user_pool_id(p).group_name("g")),
        ),
        (
            "UpdateGroup",
            code_of!(c.update_group().user_pool_id(p).group_name("g")),
        ),
        (
            "DeleteGroup",
            code_of!(c.delete_group().user_pool_id(p).group_name("g")),
        ),
        ("ListGroups", code_of!(c.list_groups().user_pool_id(p))),
        (
            "AdminAddUserToGroup",
            code_of!(
                c.admin_add_user_to_group()
                    .user_pool_id(p)
                    .username("u")
                    .group_name("g")
            ),
        ),
        (
            "AdminRemoveUserFromGroup",
            code_of!(
                c.admin_remove_user_from_group()
                    .user_pool_id(p)
                    .username("u")
                    .group_name("g")
            ),
        ),
        (
            "AdminListGroupsForUser",
            code_of!(c.admin_list_groups_for_user().user_pool_id(p).username("u")),
        ),
        (
            "ListUsersInGroup",
            code_of!(c.list_users_in_group().user_pool_id(p).group_name("g")),
        ),
    ];
    for (operation, code) in refused {
        assert_eq!(
            code.as_deref(),
            Some("AccessDeniedException"),
            "{operation}"
        );
    }
    // Nothing was done on the refused calls' behalf.
    let pool = env.admin.describe_user_pool().user_pool_id(p).send().await;
    assert!(pool.is_ok());
    let groups = env
        .admin
        .list_groups()
        .user_pool_id(p)
        .send()
        .await
        .expect("ListGroups");
    assert!(groups.groups().is_empty());
}
