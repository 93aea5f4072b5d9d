use serde_json::json;

use crate::helpers::{Backend, spawn_app};
use crate::on_both;

on_both!(group_crud_and_membership);

async fn group_crud_and_membership(backend: Backend) {
    let app = spawn_app(backend).await;
    let pool = app.create_pool("p", json!({})).await;
    let groups = format!("/pools/{pool}/groups");
    let group = app
        .admin(
            "POST",
            &groups,
            Some(json!({"name": "admins", "description": "Admins", "precedence": 1})),
        )
        .await
        .expect(201);
    assert_eq!(group["precedence"], 1);
    app.admin("POST", &groups, Some(json!({"name": "admins"})))
        .await
        .expect_error(409, "conflict");
    app.admin("POST", &groups, Some(json!({"name": "readers"})))
        .await
        .expect(201);
    let patched = app
        .admin(
            "PATCH",
            &format!("{groups}/admins"),
            Some(json!({"description": "Administrators"})),
        )
        .await
        .expect(200);
    assert_eq!(patched["description"], "Administrators");
    assert_eq!(patched["precedence"], 1);

    for name in ["amy", "ben", "cid"] {
        app.create_user(&pool, name).await;
    }
    for name in ["amy", "ben", "cid", "amy"] {
        app.admin("PUT", &format!("{groups}/admins/members/{name}"), None)
            .await
            .expect(204);
    }
    app.admin("PUT", &format!("{groups}/readers/members/amy"), None)
        .await
        .expect(204);
    let members = app.list_all(&format!("{groups}/admins/members"), 2).await;
    let names: Vec<_> = members
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["amy", "ben", "cid"]);
    let of_amy = app
        .list_all(&format!("/pools/{pool}/users/amy/groups"), 60)
        .await;
    let names: Vec<_> = of_amy.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["admins", "readers"]);

    app.admin("DELETE", &format!("{groups}/admins/members/ben"), None)
        .await
        .expect(204);
    app.admin("DELETE", &format!("{groups}/admins/members/ben"), None)
        .await
        .expect(204);
    assert_eq!(
        app.list_all(&format!("{groups}/admins/members"), 60)
            .await
            .len(),
        2
    );
    app.admin("PUT", &format!("{groups}/admins/members/nobody"), None)
        .await
        .expect_error(404, "not_found");
    app.admin("PUT", &format!("{groups}/ghosts/members/amy"), None)
        .await
        .expect_error(404, "not_found");

    // Deleting a user or a group removes the memberships.
    app.admin("DELETE", &format!("/pools/{pool}/users/cid"), None)
        .await
        .expect(204);
    assert_eq!(
        app.list_all(&format!("{groups}/admins/members"), 60)
            .await
            .len(),
        1
    );
    app.admin("DELETE", &format!("{groups}/admins"), None)
        .await
        .expect(204);
    let of_amy = app
        .list_all(&format!("/pools/{pool}/users/amy/groups"), 60)
        .await;
    assert_eq!(of_amy.len(), 1);
    app.admin("GET", &format!("{groups}/admins"), None)
        .await
        .expect_error(404, "not_found");
}
