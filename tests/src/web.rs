//! The dashboard as a browser without scripts sees it: pages fetched and
//! forms posted over HTTP (or HTTPS), one session cookie kept, redirects
//! not followed, so each answer can be checked as it came.

use std::sync::Arc;
use std::time::Duration;

use tokio_rustls::rustls;

/// One browser's session with the dashboard.
pub struct WebSession {
    base: String,
    agent: ureq::Agent,
    /// The session cookie as the browser sends it back: `NAME=VALUE`.
    pub cookie: Option<String>,
    /// Headers sent with every request (e.g. `Origin`, `Host`).
    pub headers: Vec<(String, String)>,
}

impl std::fmt::Debug for WebSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSession")
            .field("base", &self.base)
            .field("signed_in", &self.cookie.is_some())
            .finish_non_exhaustive()
    }
}

/// An answer: its status, headers and body.
#[derive(Debug)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// Every header, names in lowercase.
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Answer {
    /// The first value of header `name` (lowercase), or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

impl WebSession {
    /// A new browser for the server at `base` (`http://...`).
    pub fn new(base: &str) -> Self {
        Self::with_agent(base, agent(ureq::tls::TlsConfig::default()))
    }

    /// A new browser for the server at `base` (`https://...`) that trusts
    /// the certificate `trusted` (DER) and no other.
    pub fn trusting(base: &str, trusted: &[u8]) -> Self {
        #[allow(
            deprecated,
            reason = "the provider the server uses; see its serve module"
        )]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let certificate = ureq::tls::Certificate::from_der(trusted).to_owned();
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(provider)
            .root_certs(ureq::tls::RootCerts::new_with_certs(&[certificate]))
            .build();
        Self::with_agent(base, agent(tls))
    }

    fn with_agent(base: &str, agent: ureq::Agent) -> Self {
        Self {
            base: base.to_owned(),
            agent,
            cookie: None,
            headers: Vec::new(),
        }
    }

    /// GETs `path`.
    pub fn get(&mut self, path: &str) -> Answer {
        let mut request = self.agent.get(&format!("{}{path}", self.base));
        for (name, value) in self.sent_headers() {
            request = request.header(&name, &value);
        }
        self.keep_cookie(request.call().expect("GET"))
    }

    /// POSTs a form to `path`.
    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut request = self.agent.post(&format!("{}{path}", self.base));
        for (name, value) in self.sent_headers() {
            request = request.header(&name, &value);
        }
        self.keep_cookie(request.send_form(form.iter().copied()).expect("POST"))
    }

    /// POSTs a `multipart/form-data` form to `path`, as a browser sends a
    /// form with a file: the text `fields`, then `file` named `file_name`.
    pub fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, &[u8]),
    ) -> Answer {
        const BOUNDARY: &str = "----outreach-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        let (name, file_name, bytes) = file;
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
        let mut request = self.agent.post(&format!("{}{path}", self.base)).header(
            "Content-Type",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
        );
        for (name, value) in self.sent_headers() {
            request = request.header(&name, &value);
        }
        self.keep_cookie(request.send(&body[..]).expect("POST"))
    }

    /// Signs in with a device token; the answer to the sign-in form.
    pub fn sign_in(&mut self, token: &str) -> Answer {
        self.post("/sign-in", &[("token", token)])
    }

    /// The CSRF token the forms on the page at `path` carry.
    pub fn csrf(&mut self, path: &str) -> String {
        let page = self.get(path);
        let at = page
            .body
            .find("name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("{path}: no CSRF token in {} {}", page.status, page.body));
        let rest = &page.body[at + 19..];
        rest[..rest.find('"').expect("end of the token")].to_owned()
    }

    fn sent_headers(&self) -> Vec<(String, String)> {
        let mut headers = self.headers.clone();
        if let Some(cookie) = &self.cookie {
            headers.push(("Cookie".into(), cookie.clone()));
        }
        headers
    }

    /// Reads an answer, keeping (or dropping) the session cookie it sets.
    fn keep_cookie(&mut self, mut response: ureq::http::Response<ureq::Body>) -> Answer {
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(name, value)| {
                let value = value.to_str().unwrap_or("").to_owned();
                (name.as_str().to_ascii_lowercase(), value)
            })
            .collect();
        let answer = Answer {
            status: response.status().as_u16(),
            headers,
            body: response.body_mut().read_to_string().unwrap_or_default(),
        };
        let set = answer.header("set-cookie");
        if let Some(pair) = set.split(';').next().filter(|p| p.contains('=')) {
            let (_, value) = pair.split_once('=').expect("a pair");
            self.cookie = (!value.is_empty()).then(|| pair.to_owned());
        }
        answer
    }
}

fn agent(tls: ureq::tls::TlsConfig) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(60)))
        .tls_config(tls)
        .build()
        .into()
}
