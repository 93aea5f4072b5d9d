//! Mail owns the email bodies (askama, a text and an HTML part each), the durable outbox
//! they are written to, and the worker that delivers them.

pub mod heartbeat;
pub mod worker;

use std::sync::Arc;

use askama::Template;
use tokio::sync::Notify;

use crate::clock::Millis;
use crate::store::outbox::OutboxRow;

/// What a mail needs to know of the pool it is sent for (`pools` implements it for a pool):
/// mail sits below the areas and names none of their types.
pub trait Sender {
    fn pool_id(&self) -> &str;
    /// The name mails speak of the service by.
    fn display_name(&self) -> &str;
    /// The pool's own From address, if it has one.
    fn sender_address(&self) -> Option<&str>;
    fn verification_subject(&self) -> Option<&str>;
    /// The pool's own verification message, with `{####}` where the code goes.
    fn verification_message(&self) -> Option<&str>;
    /// How long a temporary password stays valid, in days.
    fn temporary_password_days(&self) -> u32;
}

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

/// The verification-code mail, or the pool's own subject and message (`{####}` → code).
pub fn verification(pool: &dyn Sender, recipient: &str, code: &str) -> Mail {
    let name = pool.display_name();
    let subject = pool
        .verification_subject()
        .map(str::to_string)
        .unwrap_or_else(|| format!("Your {name} verification code"));
    let (text, html) = match pool.verification_message() {
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

pub fn reset(pool: &dyn Sender, recipient: &str, code: &str) -> Mail {
    let name = pool.display_name();
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
pub fn sign_in_code(pool: &dyn Sender, recipient: &str, code: &str) -> Mail {
    let name = pool.display_name();
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
pub fn security_notice(pool: &dyn Sender, recipient: &str, change: &str) -> Mail {
    let name = pool.display_name();
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

pub fn invitation(
    pool: &dyn Sender,
    recipient: &str,
    username: &str,
    temporary_password: &str,
) -> Mail {
    let name = pool.display_name();
    let days = pool.temporary_password_days();
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

pub fn signup_attempt(pool: &dyn Sender, recipient: &str) -> Mail {
    let name = pool.display_name();
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

    pub fn row(&self, pool: &dyn Sender, mail: Mail, now: Millis) -> OutboxRow {
        OutboxRow {
            id: uuid::Uuid::new_v4().to_string(),
            pool_id: Some(pool.pool_id().to_string()),
            kind: mail.kind.to_string(),
            sender: pool
                .sender_address()
                .map_or_else(|| self.default_from.clone(), str::to_string),
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
