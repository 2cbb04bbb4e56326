//! Serving the app over its connections: plain HTTP, or HTTPS with rustls
//! when given a certificate; one task per connection, a deadline for a
//! request's headers (a client that sends them slowly, or not at all, is
//! cut off), a cap on open connections, and a graceful stop.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{self, ServerConfig};
use tower::ServiceExt;

use super::Router;
use crate::error::{Error, Result};

/// How connections are served.
#[derive(Debug, Clone)]
pub struct Listening {
    /// Longest a client may take to send a request's headers (and, on
    /// TLS, to finish its handshake) before its connection is closed.
    pub header_read_timeout: Duration,
    /// Most connections open at once; more wait to be accepted.
    pub max_connections: usize,
    /// HTTPS, when set.
    pub tls: Option<Tls>,
}

/// A certificate and key to serve HTTPS with.
#[derive(Clone)]
pub struct Tls(TlsAcceptor);

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tls")
    }
}

impl Default for Listening {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 1024,
            tls: None,
        }
    }
}

/// How long requests in flight may run on after the stop is asked for.
const DRAIN: Duration = Duration::from_secs(30);

/// HTTPS from a PEM certificate chain and a PEM private key.
pub fn tls_from_files(certificate: &Path, key: &Path) -> Result<Tls> {
    let unreadable = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        Error::Config(format!("the TLS {what} {}: {e}", path.display()))
    };
    let chain = CertificateDer::pem_file_iter(certificate)
        .map_err(|e| unreadable("certificate", certificate, &e))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| unreadable("certificate", certificate, &e))?;
    if chain.is_empty() {
        return Err(unreadable(
            "certificate",
            certificate,
            &"no certificate in it",
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| unreadable("key", key, &e))?;
    tls(chain, key)
}

/// HTTPS with this certificate chain and key.
fn tls(chain: Vec<CertificateDer<'static>>, key: PrivateKeyDer<'static>) -> Result<Tls> {
    // ring, not aws-lc-rs: it builds without cmake or nasm. rustls marks it
    // deprecated as it has no post-quantum key exchange; its classical
    // suites are still the ones rustls recommends.
    #[allow(deprecated, reason = "see above")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| Error::Config(format!("the TLS certificate and key: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Tls(TlsAcceptor::from(Arc::new(config))))
}

/// Serves `app` on `listener` until `shutdown` resolves; requests in
/// flight then finish (for up to half a minute), new ones are refused.
/// Each request carries its client's address (`ConnectInfo<SocketAddr>`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    listening: Listening,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let connections = Arc::new(Semaphore::new(listening.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(listening.header_read_timeout);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&connections).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, client) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, or the client gave up: wait
                    // a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let app = app
            .clone()
            .map_request(move |mut request: axum::http::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(client));
                request
            });
        let service = TowerToHyperService::new(app);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = listening.tls.clone();
        let handshake_deadline = listening.header_read_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            let served = match tls {
                None => connection(&builder, watcher, stream, service).await,
                Some(Tls(tls)) => {
                    match tokio::time::timeout(handshake_deadline, tls.accept(stream)).await {
                        Ok(Ok(stream)) => connection(&builder, watcher, stream, service).await,
                        Ok(Err(e)) => Err(format!("TLS handshake: {e}")),
                        Err(_) => Err("TLS handshake took too long".to_owned()),
                    }
                }
            };
            if let Err(e) = served {
                tracing::debug!(%client, error = %e, "a connection ended early");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "requests still running after {} s were cut off",
            DRAIN.as_secs()
        );
    }
    Ok(())
}

/// Serves one connection's requests, watched for the graceful stop.
async fn connection<I, S>(
    builder: &hyper::server::conn::http1::Builder,
    watcher: hyper_util::server::graceful::Watcher,
    io: I,
    service: S,
) -> std::result::Result<(), String>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<axum::http::Request<Incoming>, Response = axum::response::Response>
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
{
    let connection = builder.serve_connection(TokioIo::new(io), service);
    watcher.watch(connection).await.map_err(|e| e.to_string())
}

/// The client's address of a request served by [`serve`].
pub(crate) fn client_of(parts: &axum::http::request::Parts) -> Option<SocketAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| *address)
}
