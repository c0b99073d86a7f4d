//! The partner flows against a certified OpenID provider (issue 16): `oidc-provider`
//! (Node.js, `tests/node/oidc-provider.mjs`) run by the test, its keys read by the service
//! from its JWKS URL as in production. A citizen signs in through a portal's and a zone
//! website's clients (authorization code flow), the portal gets a machine token (client
//! credentials); the service tells the partners apart by the tokens' `client_id`
//! (RFC 9068), and keeps each partner to what the citizen filed through it.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tests::node::OidcProvider;
use tests::{assert_problem, spawn_app_with, TestApp};

const ZONE: &str = "zp-ottignies-louvain-la-neuve";
const REDIRECT: &str = "http://127.0.0.1/callback";
const RESOURCE: &str = "urn:e-commissariat";
const ACR: &str = "http://eidas.europa.eu/LoA/substantial";

/// A browser for the provider's pages: no automatic redirects, its own cookies.
struct Browser {
    client: reqwest::Client,
    cookies: BTreeMap<String, String>,
    issuer: String,
}

impl Browser {
    fn new(issuer: &str) -> Self {
        Browser {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
            issuer: issuer.to_owned(),
        }
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http") {
            location.to_owned()
        } else {
            format!("{}{location}", self.issuer)
        }
    }

    async fn send(&mut self, request: reqwest::RequestBuilder) -> reqwest::Response {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let response = request
            .header(COOKIE, cookie.join("; "))
            .send()
            .await
            .unwrap();
        for value in response.headers().get_all(SET_COOKIE) {
            let pair = value.to_str().unwrap().split(';').next().unwrap();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies
                    .insert(name.trim().to_owned(), value.to_owned());
            }
        }
        response
    }

    /// Signs `subject` in with `client` and consents; the access token.
    async fn sign_in(&mut self, client: &str, subject: &str) -> String {
        let start = reqwest::Url::parse_with_params(
            &format!("{}/auth", self.issuer),
            [
                ("client_id", client),
                ("response_type", "code"),
                ("scope", "openid filings webhooks"),
                ("redirect_uri", REDIRECT),
                ("resource", RESOURCE),
                ("state", "s-1"),
            ],
        )
        .unwrap();
        let mut next = start.to_string();
        let code = loop {
            let response = self.send(self.client.get(&next)).await;
            let location = match response.headers().get(LOCATION) {
                Some(location) => self.absolute(location.to_str().unwrap()),
                None => {
                    // An interaction page: the login form, then the consent form.
                    let page = response.text().await.unwrap();
                    let form = if page.contains("value=\"login\"") {
                        vec![("prompt", "login"), ("login", subject), ("password", "any")]
                    } else {
                        assert!(page.contains("value=\"consent\""), "{page}");
                        vec![("prompt", "consent")]
                    };
                    let response = self.send(self.client.post(&next).form(&form)).await;
                    let location = response.headers()[LOCATION].to_str().unwrap().to_owned();
                    self.absolute(&location)
                }
            };
            if let Some(query) = location.strip_prefix(&format!("{REDIRECT}?")) {
                let params: BTreeMap<String, String> =
                    url::form_urlencoded::parse(query.as_bytes())
                        .into_owned()
                        .collect();
                assert_eq!(params["state"], "s-1");
                break params["code"].clone();
            }
            next = location;
        };
        self.token(
            client,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
                ("resource", RESOURCE),
            ],
        )
        .await
    }

    /// A token from the token endpoint, the client authenticated with its secret.
    async fn token(&self, client: &str, form: &[(&str, &str)]) -> String {
        let response = self
            .client
            .post(format!("{}/token", self.issuer))
            .basic_auth(client, Some(format!("{client}-secret")))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_owned()
    }
}

async fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method.parse().unwrap(), app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

fn bicycle_theft() -> Value {
    json!({
        "procedure": "bicycle_theft", "country": "BE", "place": {"municipality": "BE-25121"},
        "facts_date": {"from": (chrono::Utc::now() - chrono::Duration::days(1)).to_rfc3339()},
        "answers": {"ongoing_danger": false, "injury": false, "known_author": false,
                    "violence": false, "exploitable_traces": false},
        "facts": {"bicycle_locked": true, "circumstances": "Gone from the rack.",
                  "items": [{"category": "bicycle"}]},
        "contact": {"email": "xavier@example.org"}, "confirmation_channel": "email"
    })
}

async fn filed(app: &TestApp, token: &str) -> String {
    let response = send(app, "POST", "/v1/filings", token, Some(bicycle_theft())).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn partners_act_for_citizens_with_tokens_of_a_real_openid_provider() {
    let provider = OidcProvider::start();
    let issuer = provider.issuer.clone();
    let app = spawn_app_with(move |s| {
        // The police app's client; any other client must be a registered partner.
        s.auth.app_client_ids = vec!["police-app".into()];
        s.auth.issuers.push(api::config::IssuerSettings {
            issuer: issuer.clone(),
            audience: "e-commissariat".into(),
            kind: api::auth::IssuerKind::Citizen,
            jwks: None,
            jwks_file: None,
            jwks_url: Some(format!("{issuer}/jwks")),
            jwks_refresh_secs: None,
            acr: [(ACR.to_owned(), "substantial".to_owned())].into(),
            default_assurance: "low".into(),
        });
    })
    .await;
    let admin = app
        .dev_token(json!({"kind": "officer", "subject": "root", "role": "admin", "units": [ZONE]}))
        .await;
    for (id, kind) in [
        ("portal-a", "national_portal"),
        ("zone-ottignies", "zone_website"),
    ] {
        let mut body = json!({"id": id, "name": id, "kind": kind, "client_ids": [id],
                              "scopes": ["filings", "webhooks"]});
        if kind == "zone_website" {
            body["unit"] = json!(ZONE);
        }
        let response = send(&app, "POST", "/v1/partners", &admin, Some(body)).await;
        assert_eq!(response.status(), 201);
    }

    // Xavier signs in twice at the provider: through the portal, and on the zone's site.
    let mut browser = Browser::new(&provider.issuer);
    let via_portal = browser.sign_in("portal-a", "xavier").await;
    let via_zone = Browser::new(&provider.issuer)
        .sign_in("zone-ottignies", "xavier")
        .await;
    let yvonne_via_portal = Browser::new(&provider.issuer)
        .sign_in("portal-a", "yvonne")
        .await;
    let by_portal = filed(&app, &via_portal).await;
    let by_zone = filed(&app, &via_zone).await;
    let yvonne_s = filed(&app, &yvonne_via_portal).await;

    // Each filing records its front door; each partner sees only its own.
    let shown: Value = send(
        &app,
        "GET",
        &format!("/v1/filings/{by_portal}"),
        &via_portal,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(shown["channel"], "portal-a");
    let shown: Value = send(
        &app,
        "GET",
        &format!("/v1/filings/{by_zone}"),
        &via_zone,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(shown["channel"], "zone-ottignies");
    let listed: Value = send(&app, "GET", "/v1/filings", &via_portal, None)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [by_portal.as_str()]);
    for (token, id) in [
        (&via_portal, &by_zone),
        (&via_zone, &by_portal),
        (&via_portal, &yvonne_s),
        (&yvonne_via_portal, &by_portal),
    ] {
        let response = send(&app, "GET", &format!("/v1/filings/{id}"), token, None).await;
        assert_problem(response, 404, "filing_not_found").await;
    }

    // The portal's machine token (client credentials: `sub` is the client) manages its
    // webhook endpoints and reads no filing.
    let machine = browser
        .token(
            "portal-a",
            &[
                ("grant_type", "client_credentials"),
                ("scope", "filings webhooks"),
                ("resource", RESOURCE),
            ],
        )
        .await;
    let response = send(&app, "GET", "/v1/partner/webhook-endpoints", &machine, None).await;
    assert_eq!(response.status(), 200);
    for path in ["/v1/filings".to_owned(), format!("/v1/filings/{by_portal}")] {
        let response = send(&app, "GET", &path, &machine, None).await;
        assert_problem(response, 403, "forbidden").await;
    }

    // A client of the provider that the service has not registered: 401; a partner
    // disabled since: 403.
    let rogue = Browser::new(&provider.issuer)
        .sign_in("rogue-portal", "xavier")
        .await;
    let response = send(&app, "GET", "/v1/filings", &rogue, None).await;
    assert_problem(response, 401, "unknown_client").await;
    let response = send(
        &app,
        "POST",
        "/v1/partners/zone-ottignies/disable",
        &admin,
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let response = send(&app, "GET", "/v1/filings", &via_zone, None).await;
    assert_problem(response, 403, "partner_disabled").await;
}
