//! Token signing per pool: RS256 (the default), ES256 and EdDSA, verified by independent
//! implementations (the openidconnect crate, whose verifiers are RustCrypto's `rsa`, `p256`
//! and `ed25519-dalek`); algorithm changes on live pools; hostile algorithms; and keys
//! stored before algorithms were a choice.

use std::borrow::Cow;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKey,
    Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, RefreshToken, TokenResponse,
};
use serde_json::{Value, json};

use crate::browser::{
    Browser, CALLBACK, claims_of, header_of, query_of, tokens_for, userinfo, web_app, web_app_with,
};
use crate::helpers::{Backend, PASSWORD, TestApp, TestDatabase, spawn_app, spawn_app_with_clock};
use crate::on_both;

on_both!(
    es256_and_eddsa_pools_work_with_an_oidc_library,
    client_credentials_tokens_verify_with_an_independent_verifier,
    changing_the_algorithm_rotates_the_key_and_old_tokens_live_on,
    hostile_signing_algorithms_are_refused,
    tokens_relabelled_to_another_algorithm_are_refused,
    pools_from_before_algorithms_keep_signing,
);

fn http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn library_alg(alg: &str) -> CoreJwsSigningAlgorithm {
    match alg {
        "RS256" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
        "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        "EdDSA" => CoreJwsSigningAlgorithm::EdDsa,
        other => panic!("no algorithm {other}"),
    }
}

async fn jwks(app: &TestApp, pool: &str) -> Vec<Value> {
    app.get(&format!("/{pool}/.well-known/jwks.json"))
        .await
        .expect(200)["keys"]
        .as_array()
        .unwrap()
        .clone()
}

async fn es256_and_eddsa_pools_work_with_an_oidc_library(backend: Backend) {
    for alg in ["ES256", "EdDSA"] {
        let app = spawn_app(backend).await;
        let web = web_app_with(&app, true, json!({"token_signing_algorithm": alg})).await;
        let http = http();
        let metadata = CoreProviderMetadata::discover_async(
            IssuerUrl::new(web.issuer.clone()).unwrap(),
            &http,
        )
        .await
        .expect("discovery");
        assert_eq!(
            metadata.id_token_signing_alg_values_supported(),
            &vec![library_alg(alg)]
        );
        let keys = jwks(&app, &web.pool).await;
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert_eq!(key["alg"], alg);
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        match alg {
            "ES256" => {
                assert_eq!(
                    (key["kty"].as_str(), key["crv"].as_str()),
                    (Some("EC"), Some("P-256"))
                );
                assert!(key["x"].is_string() && key["y"].is_string() && key["n"].is_null());
            }
            _ => {
                assert_eq!(
                    (key["kty"].as_str(), key["crv"].as_str()),
                    (Some("OKP"), Some("Ed25519"))
                );
                assert!(key["x"].is_string() && key["y"].is_null());
            }
        }

        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(web.client_id.clone()),
            web.secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_string()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (auth_url, _, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(openidconnect::Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let browser = Browser::new(&app);
        let done = browser.sign_in(auth_url.as_str(), "alice", PASSWORD).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let code = query_of(done.location.as_deref().unwrap())["code"].clone();
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .expect("token exchange");
        let id_token = tokens.id_token().expect("an ID token");
        let id_verifier = client
            .id_token_verifier()
            .set_allowed_algs(vec![library_alg(alg)]);
        let claims = id_token
            .claims(&id_verifier, &nonce)
            .unwrap_or_else(|e| panic!("{alg}: the ID token verifies against the JWKS: {e}"));
        assert_eq!(
            claims.email().map(|e| e.as_str()),
            Some("alice@example.com")
        );
        assert_eq!(*id_token.signing_alg().unwrap(), library_alg(alg));
        // at_hash with the algorithm's hash (SHA-512 for Ed25519), as the library computes it.
        let expected = AccessTokenHash::from_token(
            tokens.access_token(),
            id_token.signing_alg().unwrap(),
            id_token.signing_key(&id_verifier).unwrap(),
        )
        .unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected), "{alg} at_hash");
        assert_eq!(header_of(tokens.access_token().secret())["alg"], alg);
        // The access token works at userInfo, and a refresh gives tokens that verify too.
        userinfo(&app, &web.pool, tokens.access_token().secret())
            .await
            .expect(200);
        let refreshed = client
            .exchange_refresh_token(&RefreshToken::new(
                tokens.refresh_token().unwrap().secret().clone(),
            ))
            .unwrap()
            .request_async(&http)
            .await
            .expect("refresh");
        let again = refreshed.id_token().expect("an ID token on refresh");
        let no_nonce = |_: Option<&Nonce>| Ok(());
        again
            .claims(&id_verifier, no_nonce)
            .unwrap_or_else(|e| panic!("{alg}: the refreshed ID token verifies: {e}"));
    }
}

/// Verifies a compact JWS with the openidconnect crate's own verifier for the JWK it names.
fn independently_verified(jwt: &str, keys: &[Value]) -> bool {
    let header = header_of(jwt);
    let Some(jwk) = keys.iter().find(|k| k["kid"] == header["kid"]) else {
        return false;
    };
    let key: CoreJsonWebKey = serde_json::from_value(jwk.clone()).unwrap();
    let alg = library_alg(header["alg"].as_str().unwrap());
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else {
        return false;
    };
    key.verify_signature(&alg, signed.as_bytes(), &sig).is_ok()
}

async fn m2m_client(app: &TestApp, pool: &str) -> (String, String) {
    let m2m = app
        .admin(
            "POST",
            &format!("/pools/{pool}/clients"),
            Some(json!({"name": "m2m", "generate_secret": true,
                        "allowed_oauth_flows": ["client_credentials"],
                        "allowed_oauth_scopes": ["https://api.example.com/read"]})),
        )
        .await
        .expect(201);
    (
        m2m["client_id"].as_str().unwrap().to_string(),
        m2m["client_secret"].as_str().unwrap().to_string(),
    )
}

async fn client_token(app: &TestApp, pool: &str, id: &str, secret: &str) -> String {
    crate::browser::token_request(
        app,
        pool,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ],
    )
    .await
    .expect(200)["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn client_credentials_tokens_verify_with_an_independent_verifier(backend: Backend) {
    for alg in ["RS256", "ES256", "EdDSA"] {
        let app = spawn_app(backend).await;
        let web = web_app_with(&app, false, json!({"token_signing_algorithm": alg})).await;
        let (id, secret) = m2m_client(&app, &web.pool).await;
        let jwt = client_token(&app, &web.pool, &id, &secret).await;
        assert_eq!(header_of(&jwt)["alg"], alg);
        let keys = jwks(&app, &web.pool).await;
        assert!(independently_verified(&jwt, &keys), "{alg}");
        let mut forged: Vec<String> = jwt.split('.').map(str::to_string).collect();
        forged[1] = URL_SAFE_NO_PAD.encode(r#"{"sub":"admin","scope":"everything"}"#);
        assert!(!independently_verified(&forged.join("."), &keys), "{alg}");
    }
}

async fn changing_the_algorithm_rotates_the_key_and_old_tokens_live_on(backend: Backend) {
    let (app, clock) = spawn_app_with_clock(backend).await;
    let web = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let before = tokens_for(&app, &web, &browser).await;
    let old_access = before["access_token"].as_str().unwrap().to_string();
    assert_eq!(header_of(&old_access)["alg"], "RS256");
    let pool = app
        .admin(
            "PATCH",
            &format!("/pools/{}", web.pool),
            Some(json!({"token_signing_algorithm": "ES256"})),
        )
        .await
        .expect(200);
    assert_eq!(pool["token_signing_algorithm"], "ES256");
    // New tokens are signed with a new EC key at once; the RSA key is still published.
    let after = tokens_for(&app, &web, &browser).await;
    let new_access = after["access_token"].as_str().unwrap().to_string();
    assert_eq!(header_of(&new_access)["alg"], "ES256");
    assert_ne!(header_of(&new_access)["kid"], header_of(&old_access)["kid"]);
    let keys = jwks(&app, &web.pool).await;
    let algs: Vec<&str> = keys.iter().filter_map(|k| k["alg"].as_str()).collect();
    assert_eq!(algs.len(), 2, "{keys:?}");
    assert!(algs.contains(&"RS256") && algs.contains(&"ES256"));
    assert!(independently_verified(&old_access, &keys));
    assert!(independently_verified(&new_access, &keys));
    let discovery = app
        .get(&format!("/{}/.well-known/openid-configuration", web.pool))
        .await
        .expect(200);
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        json!(["ES256", "RS256"])
    );
    // Both tokens work until they expire; the refresh token from before the change too.
    userinfo(&app, &web.pool, &old_access).await.expect(200);
    userinfo(&app, &web.pool, &new_access).await.expect(200);
    let refreshed = crate::browser::token_request(
        &app,
        &web.pool,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", before["refresh_token"].as_str().unwrap()),
            ("client_id", &web.client_id),
        ],
    )
    .await
    .expect(200);
    assert_eq!(
        header_of(refreshed["id_token"].as_str().unwrap())["alg"],
        "ES256"
    );
    // Once every token the RSA key signed has expired, it is no longer published.
    clock.advance_secs(86_400 + 120);
    let keys = jwks(&app, &web.pool).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["alg"], "ES256");
    // And back: EdDSA, then RS256, each a new key.
    for alg in ["EdDSA", "RS256"] {
        app.admin(
            "PATCH",
            &format!("/pools/{}", web.pool),
            Some(json!({"token_signing_algorithm": alg})),
        )
        .await
        .expect(200);
        let tokens = tokens_for(&app, &web, &browser).await;
        let access = tokens["access_token"].as_str().unwrap();
        assert_eq!(header_of(access)["alg"], alg);
        assert!(independently_verified(access, &jwks(&app, &web.pool).await));
    }
    // A PATCH that leaves the algorithm alone makes no key.
    let count = jwks(&app, &web.pool).await.len();
    app.admin(
        "PATCH",
        &format!("/pools/{}", web.pool),
        Some(json!({"token_signing_algorithm": "RS256", "deletion_protection": false})),
    )
    .await
    .expect(200);
    assert_eq!(jwks(&app, &web.pool).await.len(), count);
}

async fn hostile_signing_algorithms_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let long = "A".repeat(10 * 1024);
    for value in [
        "none",
        "HS256",
        "rs256",
        "",
        "RS512",
        "ES384",
        "EDDSA",
        long.as_str(),
    ] {
        let answer = app
            .admin(
                "POST",
                "/pools",
                Some(json!({"name": "p", "token_signing_algorithm": value})),
            )
            .await;
        answer.expect_error(422, "validation_failed");
        assert!(
            answer.message().starts_with("token_signing_algorithm"),
            "{}",
            answer.text
        );
    }
    for value in [
        json!(256),
        json!(["RS256"]),
        json!({"alg": "RS256"}),
        json!(true),
    ] {
        app.admin(
            "POST",
            "/pools",
            Some(json!({"name": "p", "token_signing_algorithm": value})),
        )
        .await
        .expect_error(400, "invalid_request");
    }
    assert!(
        app.list_all("/pools", 60).await.is_empty(),
        "nothing was half written"
    );
    let pool = app.create_pool("p", json!({})).await;
    assert_eq!(
        app.admin("GET", &format!("/pools/{pool}"), None)
            .await
            .expect(200)["token_signing_algorithm"],
        "RS256",
        "a pool that says nothing signs RS256, as Cognito does"
    );
    let keys = jwks(&app, &pool).await.len();
    for value in ["none", "HS256", ""] {
        app.admin(
            "PATCH",
            &format!("/pools/{pool}"),
            Some(json!({"token_signing_algorithm": value})),
        )
        .await
        .expect_error(422, "validation_failed");
    }
    assert_eq!(
        jwks(&app, &pool).await.len(),
        keys,
        "a refused change makes no key"
    );
}

/// The token with its header replaced by `header` (the signature left as it was).
fn relabelled(jwt: &str, header: Value) -> String {
    let (_, rest) = jwt.split_once('.').unwrap();
    format!("{}.{rest}", URL_SAFE_NO_PAD.encode(header.to_string()))
}

async fn tokens_relabelled_to_another_algorithm_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let rs = web_app(&app, false).await;
    let browser = Browser::new(&app);
    let access = tokens_for(&app, &rs, &browser).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let kid = header_of(&access)["kid"].clone();
    for alg in ["ES256", "EdDSA", "HS256", "none"] {
        let forged = relabelled(&access, json!({"alg": alg, "kid": kid, "typ": "JWT"}));
        userinfo(&app, &rs.pool, &forged)
            .await
            .expect_oauth(401, "invalid_token");
    }
    // The reverse: an ES256 pool's token claiming RS256 for its own key.
    let other = spawn_app(backend).await;
    let es = web_app_with(&other, false, json!({"token_signing_algorithm": "ES256"})).await;
    let browser = Browser::new(&other);
    let access = tokens_for(&other, &es, &browser).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let kid = header_of(&access)["kid"].clone();
    for alg in ["RS256", "EdDSA"] {
        let forged = relabelled(&access, json!({"alg": alg, "kid": kid, "typ": "JWT"}));
        userinfo(&other, &es.pool, &forged)
            .await
            .expect_oauth(401, "invalid_token");
    }
    userinfo(&other, &es.pool, &access).await.expect(200);
}

/// A database made by the schema before algorithms were a choice, with a pool whose RSA key
/// was generated (by the `rsa` crate, as the service used to) and sealed the old way.
async fn pools_from_before_algorithms_keep_signing(backend: Backend) {
    use rsa::pkcs8::EncodePrivateKey;
    use rsa::traits::PublicKeyParts;
    let db = Arc::new(TestDatabase::new(backend).await);
    let master = cognate::crypto::sealed::MasterKey::generate().unwrap();
    let mut migrator = if db.url.starts_with("sqlite:") {
        sqlx::migrate!("./migrations/sqlite")
    } else {
        sqlx::migrate!("./migrations/postgres")
    };
    migrator.migrations = Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version < 8)
            .cloned()
            .collect(),
    );
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048).unwrap();
    let der = private.to_pkcs8_der().unwrap();
    let kid = "legacy-key-0001";
    let sealed = master.seal(der.as_bytes(), kid).unwrap();
    let n = URL_SAFE_NO_PAD.encode(private.n().to_bytes_be());
    let e = URL_SAFE_NO_PAD.encode(private.e().to_bytes_be());
    let pool_id = "local_Legacy123";
    let config = r#"{"username_attributes":[],"case_sensitive_usernames":false,"auto_verified_attributes":["email"],"password_policy":{"minimum_length":8,"require_uppercase":true,"require_lowercase":true,"require_numbers":true,"require_symbols":true,"temporary_password_validity_days":7},"schema":[],"mfa_configuration":"OFF","email":{"from":null,"verification_subject":null,"verification_message":null},"deletion_protection":false,"branding":{"display_name":null,"logo_url":null,"primary_color":null},"allow_admin_create_user_only":false}"#;
    let statements = [
        format!(
            "INSERT INTO pools (id, name, config, version, created_at, updated_at) \
             VALUES ('{pool_id}', 'legacy', '{config}', 1, 1700000000000, 1700000000000)"
        ),
        format!(
            "INSERT INTO signing_keys (kid, pool_id, private_key, public_n, public_e, active, created_at) \
             VALUES ('{kid}', '{pool_id}', '{sealed}', '{n}', '{e}', TRUE, 1700000000000)"
        ),
    ];
    {
        use sqlx::Connection;
        if db.url.starts_with("sqlite:") {
            let mut conn = sqlx::SqliteConnection::connect(&format!("{}?mode=rwc", db.url))
                .await
                .unwrap();
            migrator.run(&mut conn).await.unwrap();
            for sql in &statements {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        } else {
            let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
            for sql in &statements {
                sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                    .execute(&mut conn)
                    .await
                    .unwrap();
            }
        }
    }
    // Today's service opens it (migrating it) and signs with the old key.
    let app = crate::helpers::spawn_on(db, &[("master_key", &master.to_base64())], None).await;
    let pool = app
        .admin("GET", &format!("/pools/{pool_id}"), None)
        .await
        .expect(200);
    assert_eq!(pool["token_signing_algorithm"], "RS256");
    let keys = jwks(&app, pool_id).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kid"], kid);
    assert_eq!(
        (keys[0]["kty"].as_str(), keys[0]["alg"].as_str()),
        (Some("RSA"), Some("RS256"))
    );
    assert_eq!(keys[0]["n"], n.as_str());
    app.admin(
        "POST",
        &format!("/pools/{pool_id}/resource-servers"),
        Some(
            json!({"identifier": "https://api.example.com", "name": "API",
                    "scopes": [{"name": "read", "description": "Read"}]}),
        ),
    )
    .await
    .expect(201);
    let (id, secret) = m2m_client(&app, pool_id).await;
    let jwt = client_token(&app, pool_id, &id, &secret).await;
    assert_eq!(header_of(&jwt)["kid"], kid);
    assert!(independently_verified(&jwt, &keys));
    assert_eq!(claims_of(&jwt)["client_id"], id.as_str());
    // Rotating it makes a key of today's kind; the old one stays published.
    app.admin("POST", &format!("/pools/{pool_id}/keys/rotate"), None)
        .await
        .expect(200);
    assert_eq!(jwks(&app, pool_id).await.len(), 2);
}
