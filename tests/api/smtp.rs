//! A small real SMTP server for the tests: it speaks enough of RFC 5321 for lettre (greeting,
//! EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT), accepts every message and keeps it.
//! A holding sink keeps every client waiting for its greeting until released, like a
//! stalled server. Dropping the sink closes the listener and every open connection.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// One received message: its envelope and the raw data (dot-unstuffed, CRLF line ends).
#[derive(Debug, Clone)]
pub struct Message {
    pub from: String,
    pub recipients: Vec<String>,
    pub data: String,
}

pub struct SmtpSink {
    port: u16,
    messages: Arc<Mutex<Vec<Message>>>,
    gate: Arc<Gate>,
    server: tokio::task::JoinHandle<()>,
}

/// Whether clients are greeted yet, and how many are waiting for it.
struct Gate {
    open: tokio::sync::watch::Sender<bool>,
    waiting: AtomicUsize,
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

impl SmtpSink {
    /// A sink on a free port.
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// A sink on `port` (0 for any free one).
    pub async fn start_on(port: u16) -> Self {
        Self::start_with(port, true).await
    }

    /// A sink that greets no client until `release`: each delivery to it hangs midway.
    pub async fn start_holding() -> Self {
        Self::start_with(0, false).await
    }

    async fn start_with(port: u16, open: bool) -> Self {
        let gate = Arc::new(Gate {
            open: tokio::sync::watch::Sender::new(open),
            waiting: AtomicUsize::new(0),
        });
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap_or_else(|e| panic!("the SMTP sink cannot listen on port {port}: {e}"));
        let port = listener.local_addr().expect("local address").port();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        let sessions_gate = gate.clone();
        let server = tokio::spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(session(stream, store.clone(), sessions_gate.clone()));
                        }
                    }
                    // Reap finished sessions so the set does not grow.
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        });
        Self {
            port,
            messages,
            gate,
            server,
        }
    }

    /// How many clients are connected and waiting for the greeting.
    pub fn held(&self) -> usize {
        self.gate.waiting.load(Ordering::SeqCst)
    }

    /// Greets every waiting client and every later one.
    pub fn release(&self) {
        self.gate.open.send_replace(true);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `smtp://127.0.0.1:<port>`, the app's `smtp_url`.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<Message> {
        self.messages.lock().unwrap().clone()
    }

    /// The first message that satisfies `matches`, waiting up to `timeout` for it.
    pub async fn wait_for(&self, matches: impl Fn(&Message) -> bool, timeout: Duration) -> Message {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(found) = self.messages().into_iter().find(|m| matches(m)) {
                return found;
            }
            if Instant::now() >= deadline {
                let seen: Vec<String> = self
                    .messages()
                    .iter()
                    .map(|m| format!("{:?} {:?}", m.recipients, m.subject()))
                    .collect();
                panic!("no matching mail within {timeout:?}; received: {seen:#?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first message to `recipient` (case-insensitive) that satisfies `matches`,
    /// within 10 seconds.
    pub async fn wait_for_mail_to(
        &self,
        recipient: &str,
        matches: impl Fn(&Message) -> bool,
    ) -> Message {
        let recipient = recipient.to_lowercase();
        self.wait_for(
            |m| m.is_to(&recipient) && matches(m),
            Duration::from_secs(10),
        )
        .await
    }

    /// Waits until at least `count` messages arrived (up to `timeout`); returns them all.
    pub async fn wait_for_count(&self, count: usize, timeout: Duration) -> Vec<Message> {
        let deadline = Instant::now() + timeout;
        loop {
            let all = self.messages();
            if all.len() >= count || Instant::now() >= deadline {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One SMTP conversation. Errors simply end it.
async fn session(stream: TcpStream, store: Arc<Mutex<Vec<Message>>>, gate: Arc<Gate>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    let mut from = String::new();
    let mut recipients: Vec<String> = Vec::new();
    let mut open = gate.open.subscribe();
    if !*open.borrow() {
        gate.waiting.fetch_add(1, Ordering::SeqCst);
        // A client says nothing before the greeting: anything read means it hung up.
        let mut said = Vec::new();
        let hung_up = tokio::select! {
            _ = open.wait_for(|open| *open) => false,
            _ = lines.read_until(b'\n', &mut said) => true,
        };
        gate.waiting.fetch_sub(1, Ordering::SeqCst);
        if hung_up {
            return;
        }
    }
    if write
        .write_all(b"220 sink.test ESMTP ready\r\n")
        .await
        .is_err()
    {
        return;
    }
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let command = text.trim_end_matches(['\r', '\n']);
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-sink.test\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n",
            "HELO" => b"250 sink.test\r\n",
            "MAIL" => {
                from = angle_address(command);
                recipients.clear();
                b"250 2.1.0 OK\r\n"
            }
            "RCPT" => {
                recipients.push(angle_address(command));
                b"250 2.1.5 OK\r\n"
            }
            "DATA" => {
                if write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let Some(data) = read_data(&mut lines).await else {
                    return;
                };
                store.lock().unwrap().push(Message {
                    from: std::mem::take(&mut from),
                    recipients: std::mem::take(&mut recipients),
                    data,
                });
                b"250 2.0.0 OK queued\r\n"
            }
            "RSET" => {
                from.clear();
                recipients.clear();
                b"250 2.0.0 OK\r\n"
            }
            "NOOP" => b"250 2.0.0 OK\r\n",
            "QUIT" => {
                let _ = write.write_all(b"221 2.0.0 Bye\r\n").await;
                return;
            }
            _ => b"502 5.5.2 Command not recognised\r\n",
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The message after DATA, up to the line holding a single dot; leading dots unstuffed.
async fn read_data<R: tokio::io::AsyncBufRead + Unpin>(lines: &mut R) -> Option<String> {
    let mut data = Vec::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if lines.read_until(b'\n', &mut line).await.ok()? == 0 {
            return None;
        }
        if line == b".\r\n" || line == b".\n" {
            return Some(String::from_utf8_lossy(&data).into_owned());
        }
        let start = usize::from(line.starts_with(b".."));
        data.extend_from_slice(&line[start..]);
    }
}

/// The address between `<` and `>` of a MAIL or RCPT command.
fn angle_address(command: &str) -> String {
    match (command.find('<'), command.find('>')) {
        (Some(i), Some(j)) if j > i => command[i + 1..j].to_string(),
        _ => String::new(),
    }
}

impl Message {
    pub fn is_to(&self, recipient: &str) -> bool {
        self.recipients
            .iter()
            .any(|r| r.eq_ignore_ascii_case(recipient))
    }

    /// A top-level header, unfolded.
    pub fn header(&self, name: &str) -> Option<String> {
        header_in(headers_of(&self.data), name)
    }

    pub fn subject(&self) -> String {
        self.header("Subject").unwrap_or_default()
    }

    pub fn message_id(&self) -> String {
        self.header("Message-ID").unwrap_or_default()
    }

    /// The decoded text/plain part (or the whole body when not multipart).
    pub fn text(&self) -> String {
        let (headers, body) = split_message(&self.data);
        let content_type = header_in(headers, "Content-Type").unwrap_or_default();
        match boundary_of(&content_type) {
            Some(boundary) => {
                let delimiter = format!("--{boundary}");
                body.split(delimiter.as_str())
                    .skip(1)
                    .map(|part| part.trim_start_matches(['\r', '\n']))
                    .filter(|part| !part.starts_with("--"))
                    .find_map(|part| {
                        let (part_headers, part_body) = split_message(part);
                        let kind = header_in(part_headers, "Content-Type").unwrap_or_default();
                        kind.to_ascii_lowercase()
                            .starts_with("text/plain")
                            .then(|| decode(part_headers, part_body))
                    })
                    .unwrap_or_default()
            }
            None => decode(headers, body),
        }
    }
}

fn split_message(data: &str) -> (&str, &str) {
    match data.find("\r\n\r\n") {
        Some(i) => (&data[..i], &data[i + 4..]),
        None => match data.find("\n\n") {
            Some(i) => (&data[..i], &data[i + 2..]),
            None => (data, ""),
        },
    }
}

fn headers_of(data: &str) -> &str {
    split_message(data).0
}

/// A header of a header block, with continuation lines unfolded.
fn header_in(headers: &str, name: &str) -> Option<String> {
    let mut unfolded: Vec<String> = Vec::new();
    for line in headers.lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with([' ', '\t']) {
            if let Some(last) = unfolded.last_mut() {
                last.push(' ');
                last.push_str(line.trim());
            }
        } else {
            unfolded.push(line.to_string());
        }
    }
    unfolded.into_iter().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_string())
    })
}

fn boundary_of(content_type: &str) -> Option<String> {
    if !content_type.to_ascii_lowercase().starts_with("multipart/") {
        return None;
    }
    let lower = content_type.to_ascii_lowercase();
    let i = lower.find("boundary=")? + "boundary=".len();
    let rest = &content_type[i..];
    let value = match rest.strip_prefix('"') {
        Some(quoted) => &quoted[..quoted.find('"')?],
        None => rest.split([';', ' ']).next()?,
    };
    Some(value.to_string())
}

/// A body decoded from its Content-Transfer-Encoding.
fn decode(headers: &str, body: &str) -> String {
    let encoding = header_in(headers, "Content-Transfer-Encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    match encoding.as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact.as_bytes())
                .unwrap_or_default();
            String::from_utf8_lossy(&bytes).into_owned()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_string(),
    }
}

fn quoted_printable(body: &str) -> String {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            let rest = &bytes[i + 1..];
            if rest.starts_with(b"\r\n") {
                i += 3;
                continue;
            }
            if rest.starts_with(b"\n") {
                i += 2;
                continue;
            }
            let hex = rest
                .get(..2)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(byte) = hex {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The 6-digit code of a verification or reset mail: the first run of exactly six digits
/// in its decoded text part.
#[track_caller]
pub fn code_in(message: &Message) -> String {
    let text = message.text();
    six_digits(&text).unwrap_or_else(|| {
        panic!(
            "no 6-digit code in the mail to {:?}: {text}",
            message.recipients
        )
    })
}

fn six_digits(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i].is_ascii_digit() {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if i - start == 6 {
                return Some(text[start..i].to_string());
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Whether the decoded text part holds a 6-digit code at all.
pub fn has_code(message: &Message) -> bool {
    six_digits(&message.text()).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_transfer_encodings() {
        assert_eq!(quoted_printable("a=3Db=\r\nc =C3=A9"), "a=bc é");
        let b64 = "Q29kZTogMTIzNDU2Cg==";
        assert_eq!(
            decode("Content-Transfer-Encoding: base64", b64),
            "Code: 123456\n"
        );
        assert_eq!(six_digits("24 hours, code 012345."), Some("012345".into()));
        assert_eq!(six_digits("1234567 and 12345"), None);
    }

    #[tokio::test]
    async fn receives_what_lettre_sends() {
        use lettre::message::MultiPart;
        use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
        let sink = SmtpSink::start().await;
        assert_ne!(sink.port(), 0);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&sink.url())
            .unwrap()
            .build();
        let text = format!(
            "Your code:\n\n    654321\n\n.leading dot\n{}",
            "é".repeat(100)
        );
        let message = lettre::Message::builder()
            .from("Cognate <no-reply@localhost>".parse().unwrap())
            .to("Ünïcode <bob@example.com>".parse().unwrap())
            .subject("Your code")
            .message_id(Some("<abc@cognate>".into()))
            .multipart(MultiPart::alternative_plain_html(
                text.clone(),
                "<p>654321</p>".to_string(),
            ))
            .unwrap();
        transport.send(message).await.expect("the sink accepts it");
        let got = sink.wait_for_mail_to("bob@example.com", |_| true).await;
        assert_eq!(got.from, "no-reply@localhost");
        assert_eq!(got.message_id(), "<abc@cognate>");
        assert_eq!(code_in(&got), "654321");
        assert_eq!(got.text().replace("\r\n", "\n").trim_end(), text);
        drop(sink);
    }
}
