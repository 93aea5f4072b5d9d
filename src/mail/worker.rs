//! The outbox worker: claims due mail with a lease, sends it (SMTP through lettre with a
//! connection pool, or `.eml` files for the embedded default), records the result, and
//! retries failures with exponential backoff for up to 24 hours. Its heartbeat
//! (`heartbeat.rs`) lets other processes take over its claims within 30 s if it dies.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;

use crate::clock::{Clock, Millis};
use crate::mail::heartbeat::{self, Instance, KEEP_NAME_MS, SILENT_AFTER_MS};
use crate::store::outbox::{self as store, OutboxRow};
use crate::store::{Store, files};

const LEASE_MS: Millis = 120_000;
const BATCH: i64 = 20;
const FIRST_RETRY_MS: Millis = 15_000;
const MAX_RETRY_MS: Millis = 3_600_000;
const GIVE_UP_AFTER_MS: Millis = 24 * 3_600_000;
const POLL: Duration = Duration::from_millis(500);
/// lettre's own timeout covers connecting only; this bounds a whole delivery, so a stalled
/// server cannot hold a mail past the lease renewed just before sending it.
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
const _: () = assert!((SEND_TIMEOUT.as_millis() as i64) < LEASE_MS);

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// One `.eml` file per message in this folder.
    Files(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid SMTP URL: {0}")]
    Url(String),
    #[error("cannot create the outbox folder {0}: {1}")]
    Folder(String, std::io::Error),
}

impl Transport {
    pub fn smtp(url: &str) -> Result<Self, MailError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Transport::Smtp(transport))
    }

    /// The folder holds mail with codes and temporary passwords: private, like its files.
    pub fn files(folder: PathBuf) -> Result<Self, MailError> {
        files::create_private_dir(&folder)
            .map_err(|e| MailError::Folder(folder.display().to_string(), e))?;
        files::tighten(&folder);
        Ok(Transport::Files(folder))
    }

    /// Sends one mail, within `SEND_TIMEOUT`. The error says whether trying again could help.
    async fn send(&self, row: &OutboxRow) -> Result<(), SendError> {
        tokio::time::timeout(SEND_TIMEOUT, self.deliver(row))
            .await
            .unwrap_or_else(|_| {
                Err(SendError {
                    permanent: false,
                    message: format!("no answer within {} s", SEND_TIMEOUT.as_secs()),
                })
            })
    }

    async fn deliver(&self, row: &OutboxRow) -> Result<(), SendError> {
        // A mail that cannot even be built never will be: no point retrying.
        let message = build(row).map_err(|e| SendError {
            permanent: true,
            message: e,
        })?;
        match self {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            }),
            Transport::Files(folder) => {
                // Written under a temporary name, then renamed: whoever watches the folder
                // never reads half a message.
                let name = format!("{}-{}.eml", row.created_at, row.id);
                let partial = folder.join(format!(".{name}.partial"));
                let io = |e: std::io::Error| SendError {
                    permanent: false,
                    message: e.to_string(),
                };
                write_private(&partial, &message.formatted())
                    .await
                    .map_err(io)?;
                tokio::fs::rename(&partial, folder.join(name))
                    .await
                    .map_err(io)
            }
        }
    }
}

struct SendError {
    permanent: bool,
    message: String,
}

/// Mail files hold codes and temporary passwords: readable by the service's user only.
async fn write_private(path: &std::path::Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, contents).await
}

fn build(row: &OutboxRow) -> Result<Message, String> {
    let from: Mailbox = row.sender.parse().map_err(|e| format!("bad sender: {e}"))?;
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("bad recipient: {e}"))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(format!("<{}@cognate>", row.id)))
        .multipart(MultiPart::alternative_plain_html(
            row.text_body.clone(),
            row.html_body.clone(),
        ))
        .map_err(|e| e.to_string())
}

fn backoff(attempts: i64) -> Millis {
    let doublings = attempts.clamp(0, 20) as u32;
    FIRST_RETRY_MS
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_MS)
}

/// One pass: claim what is due and deliver it. Returns how many mails were claimed.
pub async fn deliver_due(
    store: &Store,
    clock: &dyn Clock,
    transport: &Transport,
    instance: &Instance,
) -> usize {
    let now = clock.now_millis();
    // Unheard lately, this worker may count as dead elsewhere: it leaves mail to others
    // until its heartbeat is recorded again.
    let Some(worker) = instance.live_name(now) else {
        return 0;
    };
    let worker = &*worker;
    let claimed = store::claim(
        store,
        worker,
        now,
        now + LEASE_MS,
        now - SILENT_AFTER_MS,
        BATCH,
    )
    .await;
    let mut rows = match claimed {
        Ok(rows) => rows,
        Err(err) => {
            tracing::error!(error = %err, "cannot claim outbox mail");
            return 0;
        }
    };
    // `UPDATE ... RETURNING` gives no order: send oldest first, so a newer code is never
    // overtaken by the one it replaced.
    rows.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    for row in &rows {
        // Renewed per mail, so a slow server cannot outlast the lease while the rest of the
        // batch waits, and another worker never sends what this one is about to. Refused
        // once this worker's heartbeat is old: another process may be taking over.
        let now = clock.now_millis();
        let renewed =
            store::renew_claim(store, &row.id, worker, now + LEASE_MS, now - KEEP_NAME_MS).await;
        match renewed {
            Ok(true) => {}
            Ok(false) => continue,
            Err(err) => {
                tracing::error!(mail_id = %row.id, error = %err, "cannot renew the claim on a mail");
                continue;
            }
        }
        let result = transport.send(row).await;
        let now = clock.now_millis();
        let recorded = match &result {
            Ok(()) => {
                tracing::info!(mail_id = %row.id, kind = %row.kind, "mail sent");
                store::mark_sent(store, &row.id, worker, now).await
            }
            Err(error) => {
                let give_up = error.permanent || now - row.created_at >= GIVE_UP_AFTER_MS;
                let next = now + backoff(row.attempts);
                tracing::warn!(mail_id = %row.id, kind = %row.kind, attempts = row.attempts + 1, give_up, error = %error.message, "mail not sent");
                store::mark_attempt_failed(store, &row.id, worker, next, give_up, &error.message)
                    .await
            }
        };
        if let Err(err) = recorded {
            tracing::error!(mail_id = %row.id, error = %err, "cannot record the outcome of a mail");
        }
    }
    rows.len()
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs the worker until the process ends: immediately when woken, otherwise every poll.
/// Its heartbeat runs as a task of its own, so a slow delivery never delays a beat, and
/// stops with the worker.
pub fn spawn(
    store: Store,
    clock: Arc<dyn Clock>,
    transport: Transport,
    wake: Arc<Notify>,
) -> tokio::task::JoinHandle<()> {
    let instance = Arc::new(Instance::new());
    tracing::info!(worker = %instance.name(), "mail worker starting");
    let heartbeat = AbortOnDrop(heartbeat::spawn(
        store.clone(),
        clock.clone(),
        instance.clone(),
    ));
    tokio::spawn(async move {
        let _heartbeat = heartbeat;
        loop {
            let handled = deliver_due(&store, clock.as_ref(), &transport, &instance).await;
            if handled < BATCH as usize {
                let _ = tokio::time::timeout(POLL, wake.notified()).await;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_to_an_hour() {
        assert_eq!(backoff(0), 15_000);
        assert_eq!(backoff(1), 30_000);
        assert_eq!(backoff(30), MAX_RETRY_MS);
    }
}
