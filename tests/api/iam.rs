//! Least privilege end to end: IAM users, groups, roles and policies decide what each
//! signed request may do, and every attempt to get more is refused and audited.

use serde_json::{Value, json};

use crate::helpers::iam::{Key, allow, arn, pool_arn};
use crate::helpers::{Backend, spawn_app, spawn_app_with_clock};
use crate::on_both;

on_both!(
    read_only_user_reads_but_cannot_write,
    a_user_limited_to_one_pool_cannot_touch_another,
    an_explicit_deny_beats_administrator_access,
    group_policies_apply_to_members_and_leave_with_them,
    keys_expire_deactivate_and_die_with_their_user,
    at_most_two_keys_even_when_asked_at_once,
    escalation_attempts_are_refused_and_audited,
    roles_give_temporary_narrowed_rights_that_expire,
    trust_policies_decide_who_may_assume,
    principals_and_policies_crud,
    malformed_policies_are_refused_naming_the_place,
    the_simulator_reports_the_deciding_statement,
    metrics_take_a_metrics_reader_key,
    conditions_on_policy_arn_and_transport_hold,
);

async fn read_only_user_reads_but_cannot_write(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let reader = app
        .iam_user_attached("reader", "AmazonCognitoReadOnly")
        .await;

    let got = app
        .signed(&reader, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    assert_eq!(got["id"], pool);
    app.signed(&reader, "GET", "/pools", None).await.expect(200);
    app.signed(&reader, "GET", &format!("/pools/{pool}/users"), None)
        .await
        .expect(200);

    let denied = app
        .signed(
            &reader,
            "POST",
            &format!("/pools/{pool}/users"),
            Some(json!({"username": "x"})),
        )
        .await;
    denied.expect_error(403, "access_denied");
    assert!(
        denied.message().contains("cognito-idp:AdminCreateUser"),
        "{}",
        denied.text
    );
    assert!(
        denied.message().contains(&pool_arn(&pool)),
        "{}",
        denied.text
    );
    assert!(
        denied.message().contains(&arn("user", "reader")),
        "{}",
        denied.text
    );
    let denied = app
        .signed(&reader, "DELETE", &format!("/pools/{pool}"), None)
        .await;
    denied.expect_error(403, "access_denied");
    assert!(denied.message().contains("cognito-idp:DeleteUserPool"));
    app.signed(&reader, "POST", "/pools", Some(json!({"name": "q"})))
        .await
        .expect_error(403, "access_denied");
    // IAM is not Cognito: the read-only Cognito policy reads no IAM.
    app.signed(&reader, "GET", "/iam/users", None)
        .await
        .expect_error(403, "access_denied");
    // Nothing was written by the refused requests.
    let users = app
        .admin("GET", &format!("/pools/{pool}/users"), None)
        .await
        .expect(200);
    assert_eq!(users["items"].as_array().unwrap().len(), 0);
    app.admin("GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    // The same key works as a Bearer credential, for tools that cannot sign.
    app.with_key(&reader, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    app.with_key(&reader, "DELETE", &format!("/pools/{pool}"), None)
        .await
        .expect_error(403, "access_denied");
}

async fn a_user_limited_to_one_pool_cannot_touch_another(backend: Backend) {
    let app = spawn_app(backend).await;
    let mine = app.create_pool("mine", json!({})).await;
    let theirs = app.create_pool("theirs", json!({})).await;
    let key = app
        .iam_user_with("scoped", allow(&["cognito-idp:*"], &[&pool_arn(&mine)]))
        .await;
    app.signed(
        &key,
        "POST",
        &format!("/pools/{mine}/users"),
        Some(json!({"username": "amy"})),
    )
    .await
    .expect(201);
    app.signed(&key, "GET", &format!("/pools/{mine}/users/amy"), None)
        .await
        .expect(200);
    for (method, path) in [
        ("GET", format!("/pools/{theirs}")),
        ("GET", format!("/pools/{theirs}/users")),
        ("DELETE", format!("/pools/{theirs}")),
        ("POST", format!("/pools/{theirs}/keys/rotate")),
    ] {
        let answer = app.signed(&key, method, &path, None).await;
        answer.expect_error(403, "access_denied");
        assert!(
            answer.message().contains(&pool_arn(&theirs)),
            "{}",
            answer.text
        );
    }
    // Listing all pools acts on `*`, which a one-pool policy does not cover.
    app.signed(&key, "GET", "/pools", None)
        .await
        .expect_error(403, "access_denied");
    app.admin("GET", &format!("/pools/{theirs}"), None)
        .await
        .expect(200);
}

async fn an_explicit_deny_beats_administrator_access(backend: Backend) {
    let app = spawn_app(backend).await;
    let key = app.iam_user_attached("boss", "AdministratorAccess").await;
    app.signed(&key, "GET", "/iam/users", None)
        .await
        .expect(200);
    app.signed(&key, "POST", "/pools", Some(json!({"name": "p"})))
        .await
        .expect(201);
    app.admin(
        "PUT",
        "/iam/users/boss/inline-policies/no-iam",
        Some(json!({"document": {"Version": "2012-10-17", "Statement": [
            {"Sid": "NoIam", "Effect": "Deny", "Action": "iam:*", "Resource": "*"}]}})),
    )
    .await
    .expect(204);
    let denied = app.signed(&key, "GET", "/iam/users", None).await;
    denied.expect_error(403, "access_denied");
    assert!(
        denied.message().contains("explicit deny"),
        "{}",
        denied.text
    );
    // Everything else is still allowed.
    app.signed(&key, "GET", "/pools", None).await.expect(200);
    let events = app.audit("action=iam%3AListUsers").await;
    let refused: Vec<&Value> = events.iter().filter(|e| e["status"] == 403).collect();
    assert_eq!(refused.len(), 1, "{events:?}");
    assert_eq!(refused[0]["decision"], "explicitly_denied");
    assert_eq!(refused[0]["deciding_policy"], "user/boss/no-iam");
    assert_eq!(refused[0]["deciding_sid"], "NoIam");
}

async fn group_policies_apply_to_members_and_leave_with_them(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let key = app.iam_user("amy").await;
    app.signed(&key, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect_error(403, "access_denied");
    app.admin("POST", "/iam/groups", Some(json!({"name": "support"})))
        .await
        .expect(201);
    app.admin(
        "PUT",
        "/iam/groups/support/attached-policies/AmazonCognitoReadOnly",
        None,
    )
    .await
    .expect(204);
    app.admin("PUT", "/iam/groups/support/members/amy", None)
        .await
        .expect(204);
    app.signed(&key, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    let user = app.admin("GET", "/iam/users/amy", None).await.expect(200);
    assert_eq!(user["groups"], json!(["support"]));
    let group = app
        .admin("GET", "/iam/groups/support", None)
        .await
        .expect(200);
    assert_eq!(group["members"], json!(["amy"]));
    app.admin("DELETE", "/iam/groups/support/members/amy", None)
        .await
        .expect(204);
    app.signed(&key, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect_error(403, "access_denied");
    // A group's inline policy counts too; deleting the group takes it away.
    app.admin("PUT", "/iam/groups/support/members/amy", None)
        .await
        .expect(204);
    app.admin(
        "PUT",
        "/iam/groups/support/inline-policies/pools",
        Some(json!({"document": allow(&["cognito-idp:ListUserPools"], &["*"])})),
    )
    .await
    .expect(204);
    app.signed(&key, "GET", "/pools", None).await.expect(200);
    app.admin("DELETE", "/iam/groups/support", None)
        .await
        .expect(204);
    app.signed(&key, "GET", "/pools", None)
        .await
        .expect_error(403, "access_denied");
    app.admin("PUT", "/iam/groups/support/members/amy", None)
        .await
        .expect_error(404, "not_found");
}

async fn keys_expire_deactivate_and_die_with_their_user(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    app.admin("POST", "/iam/users", Some(json!({"name": "guest"})))
        .await
        .expect(201);
    app.admin(
        "PUT",
        "/iam/users/guest/attached-policies/AmazonCognitoReadOnly",
        None,
    )
    .await
    .expect(204);
    let in_an_hour = chrono::DateTime::from_timestamp_millis(app.ctx.now() + 3_600_000).unwrap();
    let made = app
        .admin(
            "POST",
            "/iam/users/guest/access-keys",
            Some(json!({"expires_at": in_an_hour.to_rfc3339()})),
        )
        .await
        .expect(201);
    let id = made["access_key_id"].as_str().unwrap().to_string();
    assert_eq!(id.len(), 20);
    assert!(
        id.starts_with("AKIA")
            && id[4..]
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(made["secret_access_key"].as_str().unwrap().len(), 40);
    let key = Key {
        id: id.clone(),
        secret: made["secret_access_key"].as_str().unwrap().into(),
        token: None,
    };
    let signing = crate::helpers::iam::Signing {
        time: std::time::UNIX_EPOCH + std::time::Duration::from_millis(app.ctx.now() as u64),
        ..Default::default()
    };
    app.signed_with(&key, "GET", "/pools", None, &signing)
        .await
        .expect(200);
    // The list shows the use, and never the secret.
    let listed = app
        .admin("GET", "/iam/users/guest/access-keys", None)
        .await
        .expect(200);
    assert_eq!(listed["items"][0]["status"], "Active");
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");
    assert_eq!(listed["items"][0]["last_used_address"], "127.0.0.1");
    assert!(!listed.to_string().contains(&key.secret));
    // Past expires_at: refused, with the one message.
    clock.advance_secs(3_601);
    let signing = crate::helpers::iam::Signing {
        time: std::time::UNIX_EPOCH + std::time::Duration::from_millis(app.ctx.now() as u64),
        ..Default::default()
    };
    let refused = app.signed_with(&key, "GET", "/pools", None, &signing).await;
    refused.expect_error(401, "unauthorized");
    assert_eq!(
        refused.message(),
        "the request signature or credentials are invalid"
    );

    // Inactive, then active again, then deleted with its user.
    let key = app.access_key("guest").await;
    app.with_key(&key, "GET", "/pools", None).await.expect(200);
    app.admin(
        "PATCH",
        &format!("/iam/users/guest/access-keys/{}", key.id),
        Some(json!({"status": "Inactive"})),
    )
    .await
    .expect(200);
    app.with_key(&key, "GET", "/pools", None)
        .await
        .expect_error(401, "unauthorized");
    app.admin(
        "PATCH",
        &format!("/iam/users/guest/access-keys/{}", key.id),
        Some(json!({"status": "Active"})),
    )
    .await
    .expect(200);
    app.with_key(&key, "GET", "/pools", None).await.expect(200);
    app.admin("DELETE", "/iam/users/guest", None)
        .await
        .expect(204);
    app.with_key(&key, "GET", "/pools", None)
        .await
        .expect_error(401, "unauthorized");
    // A new user of the same name inherits nothing: no keys, no policies.
    app.admin("POST", "/iam/users", Some(json!({"name": "guest"})))
        .await
        .expect(201);
    app.with_key(&key, "GET", "/pools", None)
        .await
        .expect_error(401, "unauthorized");
    let user = app.admin("GET", "/iam/users/guest", None).await.expect(200);
    assert_eq!(user["attached_policies"], json!([]));
    // An expiry in the past is refused.
    app.admin(
        "POST",
        "/iam/users/guest/access-keys",
        Some(json!({"expires_at": "2001-01-01T00:00:00Z"})),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn at_most_two_keys_even_when_asked_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("POST", "/iam/users", Some(json!({"name": "svc"})))
        .await
        .expect(201);
    let asks = (0..8).map(|_| app.admin("POST", "/iam/users/svc/access-keys", None));
    let answers = futures_util::future::join_all(asks).await;
    let made = answers.iter().filter(|a| a.status == 201).count();
    let refused = answers.iter().filter(|a| a.status == 409).count();
    assert_eq!(
        (made, refused),
        (2, 6),
        "{:?}",
        answers.iter().map(|a| &a.text).collect::<Vec<_>>()
    );
    let listed = app
        .admin("GET", "/iam/users/svc/access-keys", None)
        .await
        .expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
}

async fn escalation_attempts_are_refused_and_audited(backend: Backend) {
    let app = spawn_app(backend).await;
    // Mallory may read IAM and manage her own keys, nothing more.
    let mallory = app
        .iam_user_with(
            "mallory",
            json!({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": ["iam:Get*", "iam:List*"], "Resource": "*"},
                {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": arn("user", "mallory")}
            ]}),
        )
        .await;
    app.admin("POST", "/iam/users", Some(json!({"name": "victim"})))
        .await
        .expect(201);
    app.admin(
        "POST",
        "/iam/policies/mallory-extra",
        Some(json!({"document": allow(&["cognito-idp:ListUserPools"], &["*"])})),
    )
    .await
    .expect(201);
    app.admin(
        "PUT",
        "/iam/users/mallory/attached-policies/mallory-extra",
        None,
    )
    .await
    .expect(204);

    // 1. Attaching AdministratorAccess to herself.
    app.signed(
        &mallory,
        "PUT",
        "/iam/users/mallory/attached-policies/AdministratorAccess",
        None,
    )
    .await
    .expect_error(403, "access_denied");
    // 2. Access keys for another user.
    app.signed(&mallory, "POST", "/iam/users/victim/access-keys", None)
        .await
        .expect_error(403, "access_denied");
    // 3. Editing a policy attached to herself, and an inline policy of her own.
    app.signed(
        &mallory,
        "PUT",
        "/iam/policies/mallory-extra",
        Some(json!({"document": allow(&["*"], &["*"])})),
    )
    .await
    .expect_error(403, "access_denied");
    app.signed(
        &mallory,
        "PUT",
        "/iam/users/mallory/inline-policies/more",
        Some(json!({"document": allow(&["*"], &["*"])})),
    )
    .await
    .expect_error(403, "access_denied");
    // 4. Assuming a role whose trust policy does not name her.
    app.admin(
        "POST",
        "/iam/roles",
        Some(json!({"name": "admin-role", "trust_policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": arn("user", "victim")}, "Action": "sts:AssumeRole"}]}})),
    )
    .await
    .expect(201);
    app.admin(
        "PUT",
        "/iam/roles/admin-role/attached-policies/AdministratorAccess",
        None,
    )
    .await
    .expect(204);
    app.signed(
        &mallory,
        "POST",
        "/sts/assume-role",
        Some(json!({"role_name": "admin-role", "session_name": "try"})),
    )
    .await
    .expect_error(403, "access_denied");
    // Her own key she may make: the one thing she was given.
    app.signed(&mallory, "POST", "/iam/users/mallory/access-keys", None)
        .await
        .expect(201);

    // Nothing changed, and each attempt is one denied row naming her.
    let user = app
        .admin("GET", "/iam/users/mallory", None)
        .await
        .expect(200);
    assert_eq!(user["attached_policies"], json!(["mallory-extra"]));
    assert_eq!(user["inline_policies"], json!(["main"]));
    let keys = app
        .admin("GET", "/iam/users/victim/access-keys", None)
        .await
        .expect(200);
    assert_eq!(keys["items"], json!([]));
    let policy = app
        .admin("GET", "/iam/policies/mallory-extra", None)
        .await
        .expect(200);
    assert_eq!(
        policy["document"]["Statement"][0]["Action"],
        json!(["cognito-idp:ListUserPools"])
    );
    let events = app
        .audit(&format!(
            "principal={}",
            crate::helpers::urlencode(&arn("user", "mallory"))
        ))
        .await;
    for (action, resource) in [
        ("iam:AttachUserPolicy", arn("user", "mallory")),
        ("iam:CreateAccessKey", arn("user", "victim")),
        ("iam:CreatePolicyVersion", arn("policy", "mallory-extra")),
        ("iam:PutUserPolicy", arn("user", "mallory")),
        ("sts:AssumeRole", arn("role", "admin-role")),
    ] {
        let rows: Vec<&Value> = events
            .iter()
            .filter(|e| {
                e["action"] == action && e["resource"] == resource.as_str() && e["status"] == 403
            })
            .collect();
        assert_eq!(rows.len(), 1, "{action} on {resource}: {events:#?}");
        assert_ne!(rows[0]["decision"], "allowed", "{action}");
        assert_eq!(rows[0]["access_key_id"], mallory.id.as_str());
    }
}

async fn roles_give_temporary_narrowed_rights_that_expire(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let other = app.create_pool("q", json!({})).await;
    let alice = app
        .iam_user_with(
            "alice",
            allow(&["sts:AssumeRole"], &[&arn("role", "operator")]),
        )
        .await;
    app.admin(
        "POST",
        "/iam/roles",
        Some(json!({"name": "operator", "max_session_duration": 7200, "trust_policy": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": [arn("user", "alice")]}, "Action": "sts:AssumeRole"}]}})),
    )
    .await
    .expect(201);
    app.admin(
        "PUT",
        "/iam/roles/operator/attached-policies/AmazonCognitoPowerUser",
        None,
    )
    .await
    .expect(204);
    // Alice herself may do nothing with pools.
    app.with_key(&alice, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect_error(403, "access_denied");
    let now = || std::time::UNIX_EPOCH + std::time::Duration::from_millis(app.ctx.now() as u64);
    let signing = |_: ()| crate::helpers::iam::Signing {
        time: now(),
        ..Default::default()
    };
    let creds = app
        .signed_with(
            &alice,
            "POST",
            "/sts/assume-role",
            Some(json!({"role_name": "operator", "session_name": "fix-1234", "duration_seconds": 900,
                        "policy": allow(&["cognito-idp:Describe*", "cognito-idp:AdminCreateUser"], &[&pool_arn(&pool)])})),
            &signing(()),
        )
        .await
        .expect(200);
    let session = Key {
        id: creds["access_key_id"].as_str().unwrap().into(),
        secret: creds["secret_access_key"].as_str().unwrap().into(),
        token: Some(creds["session_token"].as_str().unwrap().into()),
    };
    assert!(session.id.starts_with("ASIA") && session.id.len() == 20);
    assert_eq!(
        creds["assumed_role_arn"],
        "arn:aws:sts::000000000000:assumed-role/operator/fix-1234"
    );
    // Role ∩ session policy: describe and create users in `pool`, nothing else.
    app.signed_with(
        &session,
        "GET",
        &format!("/pools/{pool}"),
        None,
        &signing(()),
    )
    .await
    .expect(200);
    app.signed_with(
        &session,
        "POST",
        &format!("/pools/{pool}/users"),
        Some(json!({"username": "u1"})),
        &signing(()),
    )
    .await
    .expect(201);
    app.signed_with(
        &session,
        "DELETE",
        &format!("/pools/{pool}"),
        None,
        &signing(()),
    )
    .await
    .expect_error(403, "access_denied");
    app.signed_with(
        &session,
        "GET",
        &format!("/pools/{other}"),
        None,
        &signing(()),
    )
    .await
    .expect_error(403, "access_denied");
    // Bearer needs the token too, and the token only fits its own key.
    app.with_key(&session, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect(200);
    let tokenless = Key {
        token: None,
        ..session.clone()
    };
    app.with_key(&tokenless, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect_error(401, "unauthorized");
    let foreign = Key {
        token: Some("x".repeat(43)),
        ..session.clone()
    };
    app.signed_with(
        &foreign,
        "GET",
        &format!("/pools/{pool}"),
        None,
        &signing(()),
    )
    .await
    .expect_error(401, "unauthorized");
    // A long-term key with a session's token is refused.
    let mixed = Key {
        token: session.token.clone(),
        ..alice.clone()
    };
    app.signed_with(&mixed, "GET", "/iam/users", None, &signing(()))
        .await
        .expect_error(401, "unauthorized");
    // Audited as the assumed role, with the session's key.
    let events = app.audit("action=cognito-idp%3AAdminCreateUser").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        events[0]["principal_arn"],
        "arn:aws:sts::000000000000:assumed-role/operator/fix-1234"
    );
    assert_eq!(events[0]["access_key_id"], session.id.as_str());
    // Fifteen minutes later the session has ended by itself.
    clock.advance_secs(901);
    app.signed_with(
        &session,
        "GET",
        &format!("/pools/{pool}"),
        None,
        &signing(()),
    )
    .await
    .expect_error(401, "unauthorized");
    // Longer than the role allows is refused.
    app.signed_with(
        &alice,
        "POST",
        "/sts/assume-role",
        Some(json!({"role_name": "operator", "session_name": "long", "duration_seconds": 7201})),
        &signing(()),
    )
    .await
    .expect_error(422, "validation_failed");
    // Deleting the role ends its sessions at once.
    let creds = app
        .signed_with(
            &alice,
            "POST",
            "/sts/assume-role",
            Some(json!({"role_name": "operator", "session_name": "s2"})),
            &signing(()),
        )
        .await
        .expect(200);
    let session = Key {
        id: creds["access_key_id"].as_str().unwrap().into(),
        secret: creds["secret_access_key"].as_str().unwrap().into(),
        token: Some(creds["session_token"].as_str().unwrap().into()),
    };
    app.signed_with(
        &session,
        "GET",
        &format!("/pools/{other}"),
        None,
        &signing(()),
    )
    .await
    .expect(200);
    app.admin("DELETE", "/iam/roles/operator", None)
        .await
        .expect(204);
    app.signed_with(
        &session,
        "GET",
        &format!("/pools/{other}"),
        None,
        &signing(()),
    )
    .await
    .expect_error(401, "unauthorized");
}

async fn trust_policies_decide_who_may_assume(backend: Backend) {
    let app = spawn_app(backend).await;
    let may = allow(&["sts:AssumeRole"], &["*"]);
    let bob = app.iam_user_with("bob", may.clone()).await;
    let eve = app.iam_user_with("eve", may.clone()).await;
    let trust = |principal: Value, condition: Value| {
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": principal},
               "Action": "sts:AssumeRole", "Condition": condition}]})
    };
    app.admin(
        "POST",
        "/iam/roles",
        Some(json!({"name": "bobs", "trust_policy": trust(json!(arn("user", "bob")), json!({}))})),
    )
    .await
    .expect(201);
    let ask = json!({"role_name": "bobs", "session_name": "s1"});
    app.signed(&bob, "POST", "/sts/assume-role", Some(ask.clone()))
        .await
        .expect(200);
    app.signed(&eve, "POST", "/sts/assume-role", Some(ask.clone()))
        .await
        .expect_error(403, "access_denied");
    // An unknown role answers as a refused one.
    app.signed(
        &eve,
        "POST",
        "/sts/assume-role",
        Some(json!({"role_name": "nope", "session_name": "s1"})),
    )
    .await
    .expect_error(403, "access_denied");
    // The account root names everyone in the account; conditions still apply.
    app.admin(
        "POST",
        "/iam/roles",
        Some(
            json!({"name": "office", "trust_policy": trust(json!("arn:aws:iam::000000000000:root"),
            json!({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))}),
        ),
    )
    .await
    .expect(201);
    app.signed(
        &bob,
        "POST",
        "/sts/assume-role",
        Some(json!({"role_name": "office", "session_name": "s1"})),
    )
    .await
    .expect_error(403, "access_denied");
    // Without sts:AssumeRole in her own policies, even a trusting role refuses.
    let carol = app.iam_user("carol").await;
    app.admin("POST", "/iam/roles", Some(json!({"name": "carols", "trust_policy": trust(json!(arn("user", "carol")), json!({}))})))
        .await
        .expect(201);
    app.signed(
        &carol,
        "POST",
        "/sts/assume-role",
        Some(json!({"role_name": "carols", "session_name": "s1"})),
    )
    .await
    .expect_error(403, "access_denied");
    // The root key cannot assume roles.
    app.admin("POST", "/sts/assume-role", Some(ask))
        .await
        .expect_error(403, "access_denied");
}

async fn principals_and_policies_crud(backend: Backend) {
    let app = spawn_app(backend).await;
    let user = app
        .admin(
            "POST",
            "/iam/users",
            Some(json!({"name": "ops.bot@example"})),
        )
        .await
        .expect(201);
    assert_eq!(user["arn"], arn("user", "ops.bot@example"));
    app.admin(
        "POST",
        "/iam/users",
        Some(json!({"name": "OPS.BOT@EXAMPLE"})),
    )
    .await
    .expect_error(409, "conflict");
    for name in [".", ".."] {
        app.admin("POST", "/iam/users", Some(json!({"name": name})))
            .await
            .expect_error(422, "validation_failed");
    }
    app.admin("POST", "/iam/users", Some(json!({"name": "has space"})))
        .await
        .expect_error(422, "validation_failed");
    app.admin("POST", "/iam/users", Some(json!({"name": "x".repeat(65)})))
        .await
        .expect_error(422, "validation_failed");
    for name in ["a", "b", "c"] {
        app.admin("POST", "/iam/users", Some(json!({"name": name})))
            .await
            .expect(201);
    }
    let all = app.list_all("/iam/users", 2).await;
    assert_eq!(all.len(), 4);
    // Built-in policies are listed, readable, attachable, and read-only.
    let managed = app
        .admin("GET", "/iam/policies/AdministratorAccess", None)
        .await
        .expect(200);
    assert_eq!(managed["type"], "managed");
    assert_eq!(
        managed["arn"],
        "arn:aws:iam::aws:policy/AdministratorAccess"
    );
    app.admin(
        "PUT",
        "/iam/policies/AdministratorAccess",
        Some(json!({"document": allow(&["*"], &["*"])})),
    )
    .await
    .expect_error(409, "conflict");
    app.admin("DELETE", "/iam/policies/PowerUserAccess", None)
        .await
        .expect_error(409, "conflict");
    app.admin(
        "POST",
        "/iam/policies/administratoraccess",
        Some(json!({"document": allow(&["*"], &["*"])})),
    )
    .await
    .expect_error(409, "conflict");
    // A customer-managed policy, given as a string as AWS takes it.
    let text = allow(&["cognito-idp:List*"], &["*"]).to_string();
    let made = app
        .admin(
            "POST",
            "/iam/policies/lister",
            Some(json!({"document": text, "description": "Lists"})),
        )
        .await
        .expect(201);
    assert_eq!(made["type"], "customer");
    assert_eq!(made["arn"], arn("policy", "lister"));
    app.admin("PUT", "/iam/users/a/attached-policies/lister", None)
        .await
        .expect(204);
    app.admin("PUT", "/iam/users/a/attached-policies/lister", None)
        .await
        .expect(204);
    app.admin("PUT", "/iam/users/a/attached-policies/nope", None)
        .await
        .expect_error(404, "not_found");
    let got = app
        .admin("GET", "/iam/policies/lister", None)
        .await
        .expect(200);
    assert_eq!(got["attachment_count"], 1);
    // Attached: cannot be deleted until detached.
    app.admin("DELETE", "/iam/policies/lister", None)
        .await
        .expect_error(409, "conflict");
    app.admin("DELETE", "/iam/users/a/attached-policies/lister", None)
        .await
        .expect(204);
    app.admin("DELETE", "/iam/users/a/attached-policies/lister", None)
        .await
        .expect_error(404, "not_found");
    app.admin("DELETE", "/iam/policies/lister", None)
        .await
        .expect(204);
    app.admin("GET", "/iam/policies/lister", None)
        .await
        .expect_error(404, "not_found");
    // Inline policies: put, get, replace, delete.
    let path = "/iam/users/b/inline-policies/mine";
    app.admin(
        "PUT",
        path,
        Some(json!({"document": allow(&["iam:GetUser"], &["*"])})),
    )
    .await
    .expect(204);
    app.admin(
        "PUT",
        path,
        Some(json!({"document": allow(&["iam:ListUsers"], &["*"])})),
    )
    .await
    .expect(204);
    let inline = app.admin("GET", path, None).await.expect(200);
    assert_eq!(
        inline["document"]["Statement"][0]["Action"],
        json!(["iam:ListUsers"])
    );
    app.admin("DELETE", path, None).await.expect(204);
    app.admin("GET", path, None)
        .await
        .expect_error(404, "not_found");
    app.admin(
        "PUT",
        "/iam/users/nobody/inline-policies/x",
        Some(json!({"document": allow(&["*"], &["*"])})),
    )
    .await
    .expect_error(404, "not_found");
    // Roles: defaults and ranges.
    let trust = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": arn("user", "a")}, "Action": "sts:AssumeRole"}});
    let role = app
        .admin(
            "POST",
            "/iam/roles",
            Some(json!({"name": "r", "trust_policy": trust})),
        )
        .await
        .expect(201);
    assert_eq!(role["max_session_duration"], 3600);
    assert_eq!(
        role["trust_policy"]["Statement"]["Principal"]["AWS"],
        arn("user", "a")
    );
    for bad in [899, 43_201] {
        app.admin(
            "POST",
            "/iam/roles",
            Some(json!({"name": "r2", "trust_policy": trust, "max_session_duration": bad})),
        )
        .await
        .expect_error(422, "validation_failed");
    }
    app.admin("GET", "/iam/roles", None).await.expect(200);
    app.admin("DELETE", "/iam/roles/r", None).await.expect(204);
    app.admin("DELETE", "/iam/roles/r", None)
        .await
        .expect_error(404, "not_found");
}

async fn malformed_policies_are_refused_naming_the_place(backend: Backend) {
    let app = spawn_app(backend).await;
    app.admin("POST", "/iam/users", Some(json!({"name": "u"})))
        .await
        .expect(201);
    let put = |document: Value| {
        app.admin(
            "PUT",
            "/iam/users/u/inline-policies/p",
            Some(json!({"document": document})),
        )
    };
    let answer = put(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringSorta": {"aws:username": "u"}}}]}))
    .await;
    answer.expect_error(422, "validation_failed");
    assert!(
        answer.message().contains("Statement[1]") && answer.message().contains("StringSorta"),
        "{}",
        answer.text
    );
    let answer = put(json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": [1, 2], "Resource": "*"}})).await;
    answer.expect_error(422, "validation_failed");
    assert!(
        answer.message().contains("Statement[0]") && answer.message().contains("Action"),
        "{}",
        answer.text
    );
    put(json!({"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}))
        .await
        .expect_error(422, "validation_failed");
    put(json!({"Version": "2012-10-17", "Statement": {"Effect": "Maybe", "Action": "*", "Resource": "*"}}))
        .await
        .expect_error(422, "validation_failed");
    // Over the user inline limit (2,048 characters).
    let actions: Vec<String> = (0..200).map(|i| format!("cognito-idp:Action{i}")).collect();
    let big = json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": actions, "Resource": "*"}});
    let answer = put(big.clone()).await;
    answer.expect_error(422, "validation_failed");
    assert!(answer.message().contains("2048"), "{}", answer.text);
    // A group's limit is larger (5,120): the same document fits there.
    app.admin("POST", "/iam/groups", Some(json!({"name": "g"})))
        .await
        .expect(201);
    app.admin(
        "PUT",
        "/iam/groups/g/inline-policies/p",
        Some(json!({"document": big})),
    )
    .await
    .expect(204);
    // Not a document at all, unknown fields, a 1 MB body.
    put(json!(42)).await.expect_error(400, "invalid_request");
    app.admin(
        "PUT",
        "/iam/users/u/inline-policies/p",
        Some(json!({"document": {}, "extra": 1})),
    )
    .await
    .expect_error(400, "invalid_request");
    let huge = vec![b' '; 1024 * 1024];
    app.admin_raw("POST", "/iam/users", "application/json", huge)
        .await
        .expect_error(413, "payload_too_large");
    let bad_trust = app
        .admin(
            "POST",
            "/iam/roles",
            Some(
                json!({"name": "r", "trust_policy": {"Version": "2012-10-17",
            "Statement": {"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}}}),
            ),
        )
        .await;
    bad_trust.expect_error(422, "validation_failed");
    assert!(
        bad_trust.message().contains("Principal"),
        "{}",
        bad_trust.text
    );
    // Nothing was half written.
    let user = app.admin("GET", "/iam/users/u", None).await.expect(200);
    assert_eq!(user["inline_policies"], json!([]));
    app.admin("GET", "/iam/roles/r", None)
        .await
        .expect_error(404, "not_found");
}

async fn the_simulator_reports_the_deciding_statement(backend: Backend) {
    let app = spawn_app(backend).await;
    app.iam_user_with(
        "sim",
        json!({"Version": "2012-10-17", "Statement": [
            {"Sid": "Read", "Effect": "Allow", "Action": "cognito-idp:Describe*", "Resource": "*"},
            {"Sid": "NotThere", "Effect": "Deny", "Action": "*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}}]}),
    )
    .await;
    let answer = app
        .admin(
            "POST",
            "/iam/simulate",
            Some(json!({"principal_arn": arn("user", "sim"),
                        "actions": ["cognito-idp:DescribeUserPool", "cognito-idp:DeleteUserPool"],
                        "resources": ["arn:aws:cognito-idp:local:000000000000:userpool/local_a"],
                        "context": {"aws:SourceIp": "192.0.2.7"}})),
        )
        .await
        .expect(200);
    let results = answer["results"].as_array().unwrap();
    assert_eq!(results[0]["decision"], "allowed");
    assert_eq!(results[0]["matched_policy"], "user/sim/main");
    assert_eq!(results[0]["matched_sid"], "Read");
    assert_eq!(results[1]["decision"], "implicitly_denied");
    assert!(results[1]["matched_policy"].is_null());
    let answer = app
        .admin(
            "POST",
            "/iam/simulate",
            Some(json!({"principal_arn": arn("user", "sim"), "actions": ["cognito-idp:DescribeUserPool"],
                        "context": {"aws:SourceIp": "203.0.113.1"}})),
        )
        .await
        .expect(200);
    assert_eq!(answer["results"][0]["decision"], "explicitly_denied");
    assert_eq!(answer["results"][0]["matched_sid"], "NotThere");
    assert_eq!(answer["results"][0]["resource"], "*");
    app.admin(
        "POST",
        "/iam/simulate",
        Some(json!({"principal_arn": arn("user", "ghost"), "actions": ["iam:GetUser"]})),
    )
    .await
    .expect_error(404, "not_found");
    app.admin(
        "POST",
        "/iam/simulate",
        Some(json!({"principal_arn": arn("user", "sim"), "actions": []})),
    )
    .await
    .expect_error(422, "validation_failed");
}

async fn metrics_take_a_metrics_reader_key(backend: Backend) {
    let app = spawn_app(backend).await;
    let prometheus = app
        .iam_user_attached("prometheus", "CognateMetricsReader")
        .await;
    let scrape = |key: &Key| {
        app.http
            .get(app.url("/metrics"))
            .bearer_auth(format!("{}:{}", key.id, key.secret))
    };
    let answer = app.send(scrape(&prometheus)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert!(answer.text.contains("cognate_http_requests_total") || answer.text.contains("# HELP"));
    // The metrics key reads nothing else, and others cannot scrape.
    app.with_key(&prometheus, "GET", "/pools", None)
        .await
        .expect_error(403, "access_denied");
    let reader = app
        .iam_user_attached("reader", "AmazonCognitoReadOnly")
        .await;
    assert_eq!(app.send(scrape(&reader)).await.status, 403);
    assert_eq!(app.get("/metrics").await.status, 401);
    // The root key keeps working.
    assert_eq!(app.metrics().await.status, 200);
}

async fn conditions_on_policy_arn_and_transport_hold(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    // May attach policies to herself, but only the metrics reader (iam:PolicyARN).
    let key = app
        .iam_user_with(
            "delegate",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "iam:AttachUserPolicy",
                "Resource": arn("user", "delegate"),
                "Condition": {"StringEquals": {"iam:PolicyARN": "arn:aws:iam::aws:policy/CognateMetricsReader"}}}}),
        )
        .await;
    app.signed(
        &key,
        "PUT",
        "/iam/users/delegate/attached-policies/AdministratorAccess",
        None,
    )
    .await
    .expect_error(403, "access_denied");
    app.signed(
        &key,
        "PUT",
        "/iam/users/delegate/attached-policies/CognateMetricsReader",
        None,
    )
    .await
    .expect(204);
    // Cognate listens on plain HTTP: without a trusted proxy saying https, a policy that
    // needs aws:SecureTransport does not allow.
    let tls_only = app
        .iam_user_with(
            "tls",
            json!({"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "cognito-idp:DescribeUserPool",
                "Resource": "*", "Condition": {"Bool": {"aws:SecureTransport": "true"}}}}),
        )
        .await;
    app.signed(&tls_only, "GET", &format!("/pools/{pool}"), None)
        .await
        .expect_error(403, "access_denied");
    // A forged X-Forwarded-Proto from an untrusted peer changes nothing.
    let answer = app
        .send(
            app.http
                .get(app.url(&format!("/admin/v1/pools/{pool}")))
                .bearer_auth(format!("{}:{}", tls_only.id, tls_only.secret))
                .header("x-forwarded-proto", "https"),
        )
        .await;
    answer.expect_error(403, "access_denied");
}
