//! Mail owns the email bodies (askama, a text and an HTML part each), the durable outbox
//! they are written to, and the worker that delivers them.

pub mod heartbeat;
pub mod worker;

use std::sync::Arc;

use askama::Template;
use tokio::sync::Notify;

use crate::clock::Millis;
use crate::pools::Pool;
use crate::store::outbox::OutboxRow;

/// A rendered mail, before it has a sender and an outbox row.
pub struct Mail {
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "email/verification.txt")]
struct VerificationText<'a> {
    pool_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "email/verification.html")]
struct VerificationHtml<'a> {
    pool_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "email/custom_verification.html")]
struct CustomVerificationHtml<'a> {
    lines: Vec<&'a str>,
}

#[derive(Template)]
#[template(path = "email/reset.txt")]
struct ResetText<'a> {
    pool_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "email/reset.html")]
struct ResetHtml<'a> {
    pool_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "email/sign_in_code.txt")]
struct SignInCodeText<'a> {
    pool_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "email/sign_in_code.html")]
struct SignInCodeHtml<'a> {
    pool_name: &'a str,
    code: &'a str,
}

#[derive(Template)]
#[template(path = "email/security_notice.txt")]
struct SecurityNoticeText<'a> {
    pool_name: &'a str,
    change: &'a str,
}

#[derive(Template)]
#[template(path = "email/security_notice.html")]
struct SecurityNoticeHtml<'a> {
    pool_name: &'a str,
    change: &'a str,
}

#[derive(Template)]
#[template(path = "email/invitation.txt")]
struct InvitationText<'a> {
    pool_name: &'a str,
    username: &'a str,
    temporary_password: &'a str,
    validity: &'a str,
}

#[derive(Template)]
#[template(path = "email/invitation.html")]
struct InvitationHtml<'a> {
    pool_name: &'a str,
    username: &'a str,
    temporary_password: &'a str,
    validity: &'a str,
}

#[derive(Template)]
#[template(path = "email/signup_attempt.txt")]
struct SignupAttemptText<'a> {
    pool_name: &'a str,
}

#[derive(Template)]
#[template(path = "email/signup_attempt.html")]
struct SignupAttemptHtml<'a> {
    pool_name: &'a str,
}

fn render(t: &impl Template) -> String {
    t.render().unwrap_or_else(|err| {
        tracing::error!(error = %err, "mail template failed");
        String::new()
    })
}

fn display_name(pool: &Pool) -> &str {
    pool.config
        .branding
        .display_name
        .as_deref()
        .unwrap_or(&pool.name)
}

/// The verification-code mail, or the pool's own subject and message (`{####}` → code).
pub fn verification(pool: &Pool, recipient: &str, code: &str) -> Mail {
    let name = display_name(pool);
    let email = &pool.config.email;
    let subject = email
        .verification_subject
        .clone()
        .unwrap_or_else(|| format!("Your {name} verification code"));
    let (text, html) = match &email.verification_message {
        Some(message) => {
            let text = message.replace("{####}", code);
            let html = render(&CustomVerificationHtml {
                lines: text.lines().collect(),
            });
            (text, html)
        }
        None => (
            render(&VerificationText {
                pool_name: name,
                code,
            }),
            render(&VerificationHtml {
                pool_name: name,
                code,
            }),
        ),
    };
    Mail {
        kind: "verification",
        recipient: recipient.to_string(),
        subject,
        text,
        html,
    }
}

pub fn reset(pool: &Pool, recipient: &str, code: &str) -> Mail {
    let name = display_name(pool);
    Mail {
        kind: "reset",
        recipient: recipient.to_string(),
        subject: format!("Reset your {name} password"),
        text: render(&ResetText {
            pool_name: name,
            code,
        }),
        html: render(&ResetHtml {
            pool_name: name,
            code,
        }),
    }
}

/// A second factor by email.
pub fn sign_in_code(pool: &Pool, recipient: &str, code: &str) -> Mail {
    let name = display_name(pool);
    Mail {
        kind: "sign_in_code",
        recipient: recipient.to_string(),
        subject: format!("Your {name} sign-in code"),
        text: render(&SignInCodeText {
            pool_name: name,
            code,
        }),
        html: render(&SignInCodeHtml {
            pool_name: name,
            code,
        }),
    }
}

/// "Your security settings changed", after any change of factors or password.
pub fn security_notice(pool: &Pool, recipient: &str, change: &str) -> Mail {
    let name = display_name(pool);
    Mail {
        kind: "security_notice",
        recipient: recipient.to_string(),
        subject: format!("Your {name} security settings changed"),
        text: render(&SecurityNoticeText {
            pool_name: name,
            change,
        }),
        html: render(&SecurityNoticeHtml {
            pool_name: name,
            change,
        }),
    }
}

pub fn invitation(pool: &Pool, recipient: &str, username: &str, temporary_password: &str) -> Mail {
    let name = display_name(pool);
    let days = pool.config.password_policy.temporary_password_validity_days;
    let validity = format!(
        "The temporary password is valid for {days} day{}.",
        if days == 1 { "" } else { "s" }
    );
    Mail {
        kind: "invitation",
        recipient: recipient.to_string(),
        subject: format!("Your {name} account"),
        text: render(&InvitationText {
            pool_name: name,
            username,
            temporary_password,
            validity: &validity,
        }),
        html: render(&InvitationHtml {
            pool_name: name,
            username,
            temporary_password,
            validity: &validity,
        }),
    }
}

pub fn signup_attempt(pool: &Pool, recipient: &str) -> Mail {
    let name = display_name(pool);
    Mail {
        kind: "signup_attempt",
        recipient: recipient.to_string(),
        subject: format!("Sign-up attempt at {name}"),
        text: render(&SignupAttemptText { pool_name: name }),
        html: render(&SignupAttemptHtml { pool_name: name }),
    }
}

/// Where mail goes from the request path: rows for the outbox table, and a nudge for this
/// process's worker so it need not wait for its next poll.
#[derive(Clone)]
pub struct Outbox {
    pub default_from: String,
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new(default_from: String) -> Self {
        Self {
            default_from,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn row(&self, pool: &Pool, mail: Mail, now: Millis) -> OutboxRow {
        OutboxRow {
            id: uuid::Uuid::new_v4().to_string(),
            pool_id: Some(pool.id.clone()),
            kind: mail.kind.to_string(),
            sender: pool
                .config
                .email
                .from
                .clone()
                .unwrap_or_else(|| self.default_from.clone()),
            recipient: mail.recipient,
            subject: mail.subject,
            text_body: mail.text,
            html_body: mail.html,
            status: "queued".into(),
            attempts: 0,
            next_attempt_at: now,
            claimed_by: None,
            claimed_until: None,
            last_error: None,
            created_at: now,
            sent_at: None,
        }
    }

    /// Tells the worker new mail is waiting (after the transaction committed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// A 6-digit code from the CSPRNG, uniformly drawn.
pub fn new_code() -> String {
    format!("{:06}", crate::crypto::random::below(1_000_000))
}
