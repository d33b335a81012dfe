//! What every response passes on its way out, over HTTP and WebSocket alike: each error carries
//! a code, and an argument that did not parse is named.
use std::sync::Arc;

use async_graphql::futures_util::stream::{self, BoxStream, StreamExt};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Data, Executor, Pos, Request, Response, ServerError};

use super::AppSchema;
use super::documents::{Documents, Refused, is_mutation};

/// The code of an error the GraphQL engine raised about the request itself: a value that does not
/// parse as its type, a wrong input type. Errors of resolvers carry their own code.
const ENGINE_ERROR_CODE: &str = "BAD_USER_INPUT";

/// Gives every error of `response` a code, and prefixes an argument coercion error with the
/// argument (and variable) it is about. `query` is the document the response answers.
pub fn assign_codes(response: &mut Response, query: &str) {
    let mut document: Option<Option<ExecutableDocument>> = None;
    for error in response.errors.iter_mut().filter(|e| !has_code(e)) {
        if let Some(pos) = error.locations.first().copied() {
            let parsed = document.get_or_insert_with(|| async_graphql::parser::parse_query(query).ok());
            if let Some(place) = parsed.as_ref().and_then(|doc| argument_at(doc, pos)) {
                error.message = format!("{place}: {}", error.message);
            }
        }
        let field = invalid_field(&error.message);
        let extensions = error.extensions.get_or_insert_with(Default::default);
        extensions.set("code", ENGINE_ERROR_CODE);
        if let Some(field) = field {
            extensions.set("field", field);
        }
    }
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
        let mut error = ServerError::new(self.message, None);
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
    match tokio::spawn(async move { schema.execute(request).await }).await {
        Ok(response) => response,
        Err(err) => {
            tracing::error!(error = %err, "a mutation's task failed");
            Refused { message: "internal error".into(), code: "INTERNAL" }.into_response()
        }
    }
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
        let query = request.query.clone();
        let mut response = match is_mutation(&mut request) {
            true => run_to_completion(&self.schema, request).await,
            false => self.schema.execute(request).await,
        };
        assign_codes(&mut response, &query);
        response
    }

    fn execute_stream(&self, request: Request, session_data: Option<Arc<Data>>) -> BoxStream<'static, Response> {
        let mut request = request;
        if let Err(refused) = self.documents.prepare(&mut request) {
            return stream::once(async move { refused.into_response() }).boxed();
        }
        let query = request.query.clone();
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
