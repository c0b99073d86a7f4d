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
    routes: Vec<(ResourceDef, Vec<Method>)>,
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
        Ok(Self { json, yaml, routes })
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
