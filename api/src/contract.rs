//! The contract as the running service holds it: rendered once at start-up (JSON and
//! YAML, served at `/openapi.json|yaml`) and the route table derived from it (for `405`
//! with `Allow`). Built by `crate::openapi` from the routes; this module knows nothing of
//! them, so the application state can hold it.

use actix_web::dev::ResourceDef;
use actix_web::http::Method;

/// The document as YAML, as committed in `openapi.yaml`.
pub fn to_yaml(api: &utoipa::openapi::OpenApi) -> Result<String, String> {
    api.to_yaml().map_err(|e| e.to_string())
}

/// The contract, rendered once at start-up, and the route table derived from it.
pub struct Contract {
    pub json: String,
    pub yaml: String,
    /// The component schemas (`#/components`), for `crate::body_schema`.
    pub components: std::sync::Arc<serde_json::Value>,
    routes: Vec<(ResourceDef, Vec<Method>)>,
    /// Each operation's query parameters (for `crate::query_params`).
    queries: Vec<(ResourceDef, Method, Vec<QueryParam>)>,
}

/// A query parameter as the contract declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryParam {
    pub name: String,
    pub required: bool,
    /// Its JSON Schema (`type`, `format`, `minimum`, `maximum`, `enum`...).
    pub schema: serde_json::Value,
}

/// The query parameters of every operation of the document `value`.
fn query_parameters(value: &serde_json::Value) -> Vec<(ResourceDef, Method, Vec<QueryParam>)> {
    let Some(paths) = value.get("paths").and_then(|p| p.as_object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            let Ok(method) = Method::from_bytes(method.to_uppercase().as_bytes()) else {
                continue;
            };
            let params = operation
                .get("parameters")
                .and_then(|p| p.as_array())
                .map(|params| {
                    params
                        .iter()
                        .filter(|p| p.get("in").and_then(|i| i.as_str()) == Some("query"))
                        .filter_map(|p| {
                            Some(QueryParam {
                                name: p.get("name")?.as_str()?.to_owned(),
                                required: p.get("required").and_then(|r| r.as_bool()) == Some(true),
                                schema: p.get("schema").cloned().unwrap_or_default(),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            out.push((ResourceDef::new(path.as_str()), method, params));
        }
    }
    out
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl Contract {
    pub fn new(api: &utoipa::openapi::OpenApi) -> Result<Self, String> {
        let json = api.to_pretty_json().map_err(|e| e.to_string())?;
        let yaml = to_yaml(api)?;
        let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| e.to_string())?;
        let routes = value
            .get("paths")
            .and_then(|p| p.as_object())
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let methods = METHODS
                            .iter()
                            .filter(|m| item.get(**m).is_some())
                            .filter_map(|m| Method::from_bytes(m.to_uppercase().as_bytes()).ok())
                            .collect();
                        (ResourceDef::new(path.as_str()), methods)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let queries = query_parameters(&value);
        let components = std::sync::Arc::new(
            value
                .get("components")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
        );
        Ok(Self {
            json,
            yaml,
            components,
            routes,
            queries,
        })
    }

    /// The query parameters the contract declares for `method` on `path` (HEAD reads
    /// GET's); empty when no operation matches.
    pub fn query_parameters(&self, path: &str, method: &Method) -> Vec<&QueryParam> {
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
        self.queries
            .iter()
            .find(|(def, m, _)| m == method && def.is_match(path))
            .map(|(_, _, params)| params.iter().collect())
            .unwrap_or_default()
    }

    /// The methods the contract declares for `path`, with HEAD wherever GET is (the
    /// service answers HEAD as GET); empty when no route matches it.
    pub fn allowed_methods(&self, path: &str) -> Vec<Method> {
        let mut allowed: Vec<Method> = Vec::new();
        for (_, methods) in self.routes.iter().filter(|(def, _)| def.is_match(path)) {
            for method in methods {
                if !allowed.contains(method) {
                    allowed.push(method.clone());
                }
            }
        }
        if allowed.contains(&Method::GET) && !allowed.contains(&Method::HEAD) {
            allowed.push(Method::HEAD);
        }
        allowed
    }
}
