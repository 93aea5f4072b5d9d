//! Writes racing a pool's deletion: a write that loses the race finds the pool gone (404),
//! never a foreign-key failure shown as a 500.

use std::time::Duration;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Answer, Backend, PASSWORD, TestApp, spawn_app};
use crate::on_both;

on_both!(
    rotating_keys_while_the_pool_is_deleted_answers_not_found,
    creating_in_a_pool_being_deleted_answers_not_found,
);

/// Sends `writes` at once and deletes `pool` `delay` later; returns the writes' answers.
async fn race_with_delete(
    app: &TestApp,
    pool: &str,
    writes: &[(&str, String, Option<Value>)],
    delay: Duration,
) -> Vec<Answer> {
    let sent = join_all(
        writes
            .iter()
            .map(|(method, path, body)| app.admin(method, path, body.clone())),
    );
    let delete = async {
        tokio::time::sleep(delay).await;
        app.admin("DELETE", &format!("/pools/{pool}"), None).await
    };
    let (answers, deleted) = tokio::join!(sent, delete);
    deleted.expect(204);
    answers
}

#[track_caller]
fn created_or_not_found(what: &str, answer: &Answer) {
    assert!(
        answer.status < 300 || answer.status == 404,
        "{what}: expected a success or 404, got {} {}",
        answer.status,
        answer.text
    );
    if answer.status == 404 {
        answer.expect_error(404, "not_found");
    }
}

async fn rotating_keys_while_the_pool_is_deleted_answers_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    let mut not_found = 0;
    // Generating an RSA key takes far longer than 20 ms, so the delete lands while the new
    // key is being made: the finding reproduced this 15 times out of 15.
    for round in 0..3 {
        let pool = app
            .create_pool(&format!("rotating-{round}"), json!({}))
            .await;
        let rotate = ("POST", format!("/pools/{pool}/keys/rotate"), None);
        let answers = race_with_delete(&app, &pool, &[rotate], Duration::from_millis(20)).await;
        created_or_not_found("rotate during delete", &answers[0]);
        if answers[0].status == 404 {
            assert!(answers[0].message().contains("pool"), "{}", answers[0].text);
            not_found += 1;
        }
        app.admin("GET", &format!("/pools/{pool}"), None)
            .await
            .expect_error(404, "not_found");
    }
    assert!(not_found > 0, "no rotation overlapped the deletion");
}

async fn creating_in_a_pool_being_deleted_answers_not_found(backend: Backend) {
    let app = spawn_app(backend).await;
    for round in 0..3 {
        let pool = app.create_pool(&format!("busy-{round}"), json!({})).await;
        app.create_user(&pool, "member").await;
        app.admin(
            "POST",
            &format!("/pools/{pool}/groups"),
            Some(json!({"name": "crew"})),
        )
        .await
        .expect(201);
        let base = format!("/pools/{pool}");
        let mut writes = Vec::new();
        for i in 0..4 {
            writes.push((
                "POST",
                format!("{base}/clients"),
                Some(json!({"name": format!("client-{i}"), "generate_secret": true})),
            ));
            writes.push((
                "POST",
                format!("{base}/users"),
                Some(json!({"username": format!("user-{i}"), "password": PASSWORD})),
            ));
            writes.push((
                "POST",
                format!("{base}/groups"),
                Some(json!({"name": format!("group-{i}"), "precedence": i})),
            ));
            writes.push((
                "POST",
                format!("{base}/resource-servers"),
                Some(json!({"identifier": format!("urn:api:{i}"), "name": "API",
                            "scopes": [{"name": "read", "description": "Read"}]})),
            ));
        }
        writes.push(("PUT", format!("{base}/groups/crew/members/member"), None));
        writes.push(("POST", format!("{base}/keys/rotate"), None));
        let delay = Duration::from_millis(5 + 10 * round);
        for ((method, path, _), answer) in writes
            .iter()
            .zip(race_with_delete(&app, &pool, &writes, delay).await)
        {
            created_or_not_found(&format!("{method} {path}"), &answer);
        }
        app.admin("GET", &format!("{base}/clients"), None)
            .await
            .expect_error(404, "not_found");
    }
}
