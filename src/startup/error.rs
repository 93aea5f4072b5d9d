//! Why the application did not start: each names the setting or file to look at.

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot create data directory {path} (COGNATE_DATA_DIR): {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database at COGNATE_DATABASE_URL ({url}): {source}")]
    Database { url: String, source: sqlx::Error },
    #[error("cannot prepare the database schema: {0}")]
    Migrate(crate::store::StoreError),
    #[error("cannot set up the admin key: {0}")]
    AdminKey(crate::store::StoreError),
    #[error("cannot listen on {addr} (COGNATE_LISTEN): {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("cannot set up password hashing: {0}")]
    Hasher(#[from] crate::crypto::password::HashError),
    #[error("cannot set up the demo: {0}")]
    Demo(String),
    #[error("mail: {0}")]
    Mail(String),
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("cannot set up metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    #[error("server error: {0}")]
    Server(std::io::Error),
    #[error("cannot render the OpenAPI document: {0}")]
    OpenApi(#[from] serde_json::Error),
}
