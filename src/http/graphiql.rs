//! GraphiQL, served from the binary: pinned production builds of GraphiQL and React (in
//! `assets/graphiql/`, see its README), so the page works without internet and loads nothing
//! from anywhere but this server. Its Content-Security-Policy lets the browser enforce that.
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The files, by the name they are served under (`/graphiql/<name>`). Names carry their
/// version, so they may be cached for good.
const ASSETS: [(&str, &str, &[u8]); 4] = [
    (
        "graphiql-3.8.3.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql-3.8.3.min.js"),
    ),
    (
        "graphiql-3.8.3.min.css",
        "text/css; charset=utf-8",
        include_bytes!("../../assets/graphiql/graphiql-3.8.3.min.css"),
    ),
    (
        "react-18.3.1.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-18.3.1.production.min.js"),
    ),
    (
        "react-dom-18.3.1.production.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../assets/graphiql/react-dom-18.3.1.production.min.js"),
    ),
];

/// Only this server: scripts and styles from here (and the page's own), requests to here
/// (HTTP and WebSocket).
const CSP: &str = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'";

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CreatorPulse API · GraphiQL</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/graphiql/graphiql-3.8.3.min.css">
<style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="/graphiql/react-18.3.1.production.min.js"></script>
<script src="/graphiql/react-dom-18.3.1.production.min.js"></script>
<script src="/graphiql/graphiql-3.8.3.min.js"></script>
<script>
  const url = new URL("/graphql", location.href).href;
  const subscriptionUrl = url.replace(/^http/, "ws");
  // One fetcher per set of headers: the Headers tab goes with every request, and as the
  // connection parameters of subscriptions.
  const fetchers = new Map();
  function fetcher(params, options) {
    const headers = (options && options.headers) || {};
    const key = JSON.stringify(headers);
    if (!fetchers.has(key)) {
      fetchers.set(key, GraphiQL.createFetcher({ url, subscriptionUrl, headers, wsConnectionParams: headers }));
    }
    return fetchers.get(key)(params, options);
  }
  const defaultQuery = `# Welcome to the CreatorPulse API.
#
# Signed in? Put your access token in the Headers tab below:
#   { "Authorization": "Bearer <token>" }
# It goes with queries, mutations and subscriptions alike.
# Without one you are the anonymous caller (signUp, signIn, ...).

{
  __typename
}
`;
  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher,
      defaultQuery,
      defaultEditorToolsVisibility: "headers",
      shouldPersistHeaders: false,
    }),
  );
</script>
</body>
</html>
"#;

/// The GraphiQL page.
pub fn page() -> Response {
    let mut response = axum::response::Html(PAGE).into_response();
    response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// `GET /graphiql/<name>`: one of the files, cached for good.
pub async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(file, ..)| *file == name) {
        Some((_, content_type, bytes)) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")),
                (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            ],
            *bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
