//! What every response passes on its way out, over HTTP and WebSocket alike: each error carries
//! a code, and an argument that did not parse is named.
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Data, Executor, Pos, Request, Response, ServerError};
use tracing::Instrument as _;

use super::AppSchema;
use super::documents::{Documents, Refused, is_mutation, operation_name};
use crate::telemetry::{Usage, metrics};

/// The code of a value the engine could not take as its type (an argument or variable that does
/// not parse as its type, a wrong input type). Errors of resolvers carry their own code.
const INPUT_ERROR_CODE: &str = "BAD_USER_INPUT";
/// The code of any other error of a document that failed validation, as Apollo clients know it.
pub const VALIDATION_FAILED: &str = "GRAPHQL_VALIDATION_FAILED";

/// Gives every error of `response` a code, and prefixes an argument coercion error with the
/// argument (and variable) it is about. `query` is the document the response answers. A
/// response with no data and only errors outside any field never ran: it failed validation.
pub fn assign_codes(response: &mut Response, query: &str) {
    let mut document: Option<Option<ExecutableDocument>> = None;
    let never_ran = response.data == async_graphql::Value::Null && response.errors.iter().all(|e| e.path.is_empty());
    for error in response.errors.iter_mut().filter(|e| !has_code(e)) {
        if let Some(pos) = error.locations.first().copied() {
            let parsed = document.get_or_insert_with(|| async_graphql::parser::parse_query(query).ok());
            if let Some(place) = parsed.as_ref().and_then(|doc| argument_at(doc, pos)) {
                error.message = format!("{place}: {}", error.message);
            }
        }
        let field = invalid_field(&error.message);
        let code = if field.is_none() && never_ran && !over_a_limit(&error.message) {
            VALIDATION_FAILED
        } else {
            INPUT_ERROR_CODE
        };
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", code);
        if let Some(field) = field {
            extensions.set("field", field);
        }
    }
}

/// Whether the engine refused the document for exceeding a limit (depth, complexity, recursion)
/// rather than for being invalid: like the server's own limits, that is `BAD_USER_INPUT`.
fn over_a_limit(message: &str) -> bool {
    message.starts_with("Query is nested too deep")
        || message.starts_with("Query is too complex")
        || message.starts_with("The recursion depth of the query cannot be greater than")
}

/// The input field a coercion error names (`Invalid value for argument "input.platform"` names
/// `platform`), as `extensions.field` names it for the server's own checks.
fn invalid_field(message: &str) -> Option<String> {
    let (_, rest) = message.split_once("Invalid value for ")?;
    let (_, quoted) = rest.split_once('"')?;
    let (path, _) = quoted.split_once('"')?;
    let last = path.rsplit('.').next()?.trim_start_matches('$');
    let name = last.split('[').next()?;
    (!name.is_empty()).then(|| name.to_owned())
}

fn has_code(error: &ServerError) -> bool {
    error.extensions.as_ref().is_some_and(|ext| ext.get("code").is_some())
}

impl Refused {
    /// A response that never ran, for this refusal.
    pub fn into_response(self) -> Response {
        let mut error = ServerError::new(self.message, self.location);
        error.extensions.get_or_insert_with(Default::default).set("code", self.code);
        Response::from_errors(vec![error])
    }
}

/// The argument whose value starts at `pos`, as `argument `x` of `field`` (with the variable it
/// takes its value from, if any).
fn argument_at(document: &ExecutableDocument, pos: Pos) -> Option<String> {
    let operations = document.operations.iter().map(|(_, op)| &op.node.selection_set.node);
    let fragments = document.fragments.values().map(|f| &f.node.selection_set.node);
    operations.chain(fragments).find_map(|set| argument_in(set, pos))
}

fn argument_in(set: &SelectionSet, pos: Pos) -> Option<String> {
    set.items.iter().find_map(|item| match &item.node {
        Selection::Field(field) => {
            let found = field.node.arguments.iter().find(|(_, value)| value.pos == pos).map(|(name, value)| {
                let field = &field.node.name.node;
                match &value.node {
                    async_graphql_value::Value::Variable(var) => {
                        format!("variable `${var}` (argument `{}` of `{field}`)", name.node)
                    }
                    _ => format!("argument `{}` of `{field}`", name.node),
                }
            });
            found.or_else(|| argument_in(&field.node.selection_set.node, pos))
        }
        Selection::InlineFragment(fragment) => argument_in(&fragment.node.selection_set.node, pos),
        Selection::FragmentSpread(_) => None,
    })
}

/// Runs a mutation on a task of its own, to its end: a client that goes away (or a transport
/// that drops the request for any reason) must not drop a write transaction between its
/// statements, which could hand its connection back to the pool still inside the transaction.
/// Queries write nothing and run in place.
pub async fn run_to_completion(schema: &AppSchema, request: Request) -> Response {
    let schema = schema.clone();
    // The request's usage and span go along to the task.
    let usage = Usage::current();
    let task = async move {
        match usage {
            Some(usage) => usage.scope(schema.execute(request)).await,
            None => schema.execute(request).await,
        }
    };
    match tokio::spawn(task.in_current_span()).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, "a mutation's task failed");
            Refused::new("internal error", "INTERNAL").into_response()
        }
    }
}

/// Runs a prepared request as both transports do: measured ([`Usage`]), a mutation to its end
/// ([`run_to_completion`]), every error coded ([`assign_codes`]), counted in the metrics and,
/// with `show_cost`, its cost in `extensions.cost`.
pub async fn run(schema: &AppSchema, mut request: Request, show_cost: bool) -> Response {
    crate::memory::request_began();
    let operation = operation_name(&mut request);
    let mutation = is_mutation(&mut request);
    let query = request.query.clone();
    let usage = Arc::new(Usage::default());
    let mut response = usage
        .clone()
        .scope(async {
            match mutation {
                true => run_to_completion(schema, request).await,
                false => schema.execute(request).await,
            }
        })
        .await;
    assign_codes(&mut response, &query);
    let codes = response.errors.iter().filter_map(|e| match e.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(code) => Some(code.as_str()),
        _ => None,
    });
    metrics::request(operation.as_deref(), codes, usage.elapsed(), usage.statements());
    if let Some(operation) = &operation {
        tracing::Span::current().record("graphql.operation", operation.as_str());
    }
    if show_cost {
        response.extensions.insert("cost".into(), usage.to_value());
    }
    response
}

/// Whether a request asks for its cost (`"extensions": {"cost": true}`).
pub fn asks_for_cost(request: &Request) -> bool {
    matches!(request.extensions.get("cost"), Some(async_graphql::Value::Boolean(true)))
}

/// The schema as the WebSocket transport runs it: every document passes [`Documents::prepare`]
/// (the same limits and checks as over HTTP) and every response [`assign_codes`].
#[derive(Clone)]
pub struct Gate {
    pub schema: AppSchema,
    pub documents: Arc<Documents>,
}

impl Executor for Gate {
    async fn execute(&self, request: Request) -> Response {
        let mut request = request;
        if let Err(refused) = self.documents.prepare(&mut request) {
            return refused.into_response();
        }
        let show_cost = asks_for_cost(&request);
        run(&self.schema, request, show_cost).await
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let mut request = request;
        if let Err(refused) = self.documents.prepare(&mut request) {
            return stream::once(async move { refused.into_response() }).boxed();
        }
        // What an operation fetches ahead is its own, not its socket's.
        let request = request.data(crate::table::loaders::Fetched::default());
        let query = request.query.clone();
        let mut request = request;
        let mutation = is_mutation(&mut request);
        let responses = self.schema.execute_stream_with_session_data(request, session_data.unwrap_or_default());
        let responses = match mutation {
            // A mutation's one response, produced on a task of its own (see
            // [`run_to_completion`]): the connection may close before it is sent.
            true => {
                let task = tokio::spawn(responses.collect::<Vec<_>>());
                stream::once(async move { task.await.unwrap_or_default() }).flat_map(stream::iter).boxed()
            }
            false => responses,
        };
        responses
            .map(move |mut response| {
                assign_codes(&mut response, &query);
                response
            })
            .boxed()
    }
}
