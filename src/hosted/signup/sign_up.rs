//! `/signup`: the sign-up form, with the pool's required custom attributes.

use actix_web::http::StatusCode;
use actix_web::web::{Data, Path};
use actix_web::{HttpRequest, HttpResponse, get, post};
use serde_json::Value;

use crate::accounts::attributes::Attributes;
use crate::accounts::verification::signup::{self, SignUpForm};
use crate::context::Context;
use crate::error::Error;
use crate::hosted::csrf;
use crate::hosted::forms::{
    PostedForm, form_page, internal, load_pool, policy_text, request_in_query,
};
use crate::hosted::pages::{Brand, ExtraField, SignUpPage, message};
use crate::hosted::read::Hosted;
use crate::hosted::see_other;
use crate::hosted::signup::shared::{link, pending, protect};
use crate::ops::client_address::ClientAddress;
use crate::pools::Pool;
use crate::tokens::authorize::{Params, with_query};

fn disabled(pool: &Pool) -> HttpResponse {
    message(
        StatusCode::FORBIDDEN,
        Brand::of(pool),
        "Sign-up is disabled",
        "Accounts in this user pool are created by an administrator. Ask yours for an invitation.",
    )
}

fn extra_fields(pool: &Pool, params: Option<&Params>) -> Vec<ExtraField> {
    pool.config
        .schema
        .iter()
        .filter(|a| a.required)
        .map(|a| {
            let name = format!("custom:{}", a.name);
            ExtraField {
                value: params
                    .and_then(|p| p.get(&name))
                    .unwrap_or_default()
                    .to_string(),
                label: a.name.replace(['_', '-'], " "),
                name,
            }
        })
        .collect()
}

fn signup_page(
    req: &HttpRequest,
    ctx: &Context,
    pool: &Pool,
    request: &str,
    params: Option<&Params>,
    error: Option<&str>,
) -> HttpResponse {
    let get = |name: &str| {
        params
            .and_then(|p| p.get(name))
            .unwrap_or_default()
            .to_string()
    };
    let (username, email) = (get("username"), get("email"));
    form_page(req, ctx, |token| SignUpPage {
        brand: Brand::of(pool),
        action: format!("/{}/signup", pool.id),
        csrf_token: token,
        request,
        ask_username: !pool.config.email_is_username(),
        username: &username,
        email: &email,
        policy: policy_text(pool),
        extra_fields: extra_fields(pool, params),
        login_link: link(pool, "login", request),
        error,
    })
}

#[get("/{pool_id}/signup")]
pub async fn signup_form(req: HttpRequest, ctx: Data<Context>, path: Path<String>) -> HttpResponse {
    let pool = match load_pool(&ctx, &path).await {
        Ok(pool) => pool,
        Err(page) => return page,
    };
    if pool.config.allow_admin_create_user_only {
        return disabled(&pool);
    }
    let request = pending(&req, &ctx, &pool, request_in_query(&req).as_deref())
        .await
        .map(|p| p.id)
        .unwrap_or_default();
    signup_page(&req, &ctx, &pool, &request, None, None)
}

#[post("/{pool_id}/signup")]
pub async fn signup_submit(
    req: HttpRequest,
    ctx: Data<Context>,
    address: ClientAddress,
    form: Hosted<PostedForm>,
) -> HttpResponse {
    let Hosted(PostedForm { pool, params }) = form;
    if pool.config.allow_admin_create_user_only {
        return disabled(&pool);
    }
    let pending = pending(&req, &ctx, &pool, params.get("request")).await;
    let request = pending.as_ref().map(|p| p.id.clone()).unwrap_or_default();
    let mut attributes = Attributes::new();
    for field in extra_fields(&pool, Some(&params)) {
        if !field.value.is_empty() {
            attributes.insert(field.name, Value::String(field.value));
        }
    }
    let submitted = SignUpForm {
        username: params.get("username").map(str::to_string),
        email: params.get("email").unwrap_or_default().to_string(),
        password: params.get("password").unwrap_or_default().to_string(),
        attributes,
        // The CSRF check passed, so the browser has its id.
        submitted_by: csrf::browser_id(&req, &ctx),
    };
    let protect = protect(&ctx, &pool, pending.as_ref()).await;
    match signup::sign_up(&ctx, &pool, submitted, protect, address.0).await {
        Ok(signed_up) => see_other(&with_query(
            &link(&pool, "confirm", &request),
            &[("username", &signed_up.username), ("sent", "1")],
        )),
        Err(Error::Validation { field, message } | Error::Password { field, message }) => {
            let text = format!("{}: {message}.", field_label(&field));
            signup_page(&req, &ctx, &pool, &request, Some(&params), Some(&text))
        }
        Err(Error::Conflict(_, why)) => signup_page(
            &req,
            &ctx,
            &pool,
            &request,
            Some(&params),
            Some(&capitalise(&why)),
        ),
        Err(err) => internal(err),
    }
}

fn field_label(field: &str) -> String {
    let name = field.strip_prefix("attributes.").unwrap_or(field);
    capitalise(&name.replace('_', " "))
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
