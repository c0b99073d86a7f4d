"""Drives the Open311 GeoReport v2 endpoints with existing Open311 clients and checks
every document against JSON Schemas (tests/tests/suite/open311.rs runs it).

Clients: `georeport` 0.3.1 (services, definitions, requests, in JSON and in XML through
xmltodict) and `three` 0.8.0 (discovery, POST requests, tokens). `three` was written for
Python 2: it imports `itertools.ifilter`, so the one line below gives it Python 3's
`filter`; nothing else of it is changed. The `open311` package (1.1, 2011) does not
import on Python 3 at all (a circular import), so it is not used.

The schemas: no PyPI package ships the open311/schema-validation JSON Schemas, so they
are written here from the GeoReport v2 specification's field lists (required members,
types, the datatype and status enumerations), in the same shape.

Input (stdin, JSON): {"base": ".../open311/v2", "api_key": "...", "posts": [...],
"checks": [...]}. Output (stdout, JSON): what each step saw.
"""
import itertools
import json
import sys

itertools.ifilter = filter  # three 0.8.0 is Python 2 code (see above)

import jsonschema  # noqa: E402
import requests  # noqa: E402
import xmltodict  # noqa: E402
from georeport import GeoReport  # noqa: E402
from three import Three  # noqa: E402

NULLABLE_STRING = {"type": ["string", "null"]}
SERVICE = {
    "type": "object",
    "required": ["service_code", "service_name", "metadata", "type"],
    "properties": {
        "service_code": {"type": "string"},
        "service_name": {"type": "string"},
        "description": NULLABLE_STRING,
        "metadata": {"type": "boolean"},
        "type": {"enum": ["realtime", "batch", "blackbox"]},
        "keywords": NULLABLE_STRING,
        "group": NULLABLE_STRING,
    },
}
SERVICES = {"type": "array", "items": SERVICE}
DEFINITION = {
    "type": "object",
    "required": ["service_code", "attributes"],
    "properties": {
        "service_code": {"type": "string"},
        "attributes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["variable", "code", "datatype", "required"],
                "properties": {
                    "variable": {"type": "boolean"},
                    "code": {"type": "string"},
                    "datatype": {"enum": ["string", "number", "datetime", "text",
                                          "singlevaluelist", "multivaluelist"]},
                    "required": {"type": "boolean"},
                    "datatype_description": NULLABLE_STRING,
                    "order": {"type": ["integer", "null"]},
                    "description": NULLABLE_STRING,
                    "values": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "name"],
                            "properties": {"key": {"type": "string"}, "name": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}
REQUEST = {
    "type": "object",
    "required": ["service_request_id", "status", "service_code", "requested_datetime"],
    "properties": {
        "service_request_id": {"type": "string"},
        "status": {"enum": ["open", "closed"]},
        "status_notes": NULLABLE_STRING,
        "service_name": NULLABLE_STRING,
        "service_code": {"type": "string"},
        "description": {"type": ["string", "null"], "maxLength": 4000},
        "agency_responsible": NULLABLE_STRING,
        "service_notice": NULLABLE_STRING,
        "requested_datetime": {"type": "string", "format": "date-time"},
        "updated_datetime": {"type": ["string", "null"], "format": "date-time"},
        "expected_datetime": {"type": ["string", "null"], "format": "date-time"},
        "address": NULLABLE_STRING,
        "address_id": NULLABLE_STRING,
        "zipcode": NULLABLE_STRING,
        "lat": {"type": ["number", "null"]},
        "long": {"type": ["number", "null"]},
        "media_url": {"type": ["string", "null"]},
    },
}
REQUESTS = {"type": "array", "items": REQUEST}
CREATED = {
    "type": "array", "minItems": 1, "maxItems": 1,
    "items": {
        "type": "object",
        "anyOf": [{"required": ["service_request_id"]}, {"required": ["token"]}],
        "properties": {
            "service_request_id": {"type": "string"},
            "token": {"type": "string"},
            "service_notice": NULLABLE_STRING,
            "account_id": NULLABLE_STRING,
        },
    },
}
TOKEN = {
    "type": "array",
    "items": {"type": "object", "required": ["token"],
              "properties": {"service_request_id": {"type": "string"}, "token": {"type": "string"}}},
}
ERRORS = {
    "type": "array", "minItems": 1,
    "items": {"type": "object", "required": ["code", "description"],
              "properties": {"code": {"type": ["integer", "string"]}, "description": {"type": "string"}}},
}
DISCOVERY = {
    "type": "object",
    "required": ["changeset", "contact", "key_service", "endpoints"],
    "properties": {
        "endpoints": {
            "type": "array", "minItems": 1,
            "items": {"type": "object",
                      "required": ["specification", "url", "changeset", "type", "formats"],
                      "properties": {"formats": {"type": "array", "items": {"type": "string"}}}},
        }
    },
}
FORMAT = jsonschema.Draft202012Validator.FORMAT_CHECKER


def check(schema, document):
    jsonschema.validate(document, schema, format_checker=FORMAT)
    return document


def as_list(value):
    """xmltodict gives one element as a dict, several as a list."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def xml_like(value):
    """A JSON document as xmltodict reads its XML twin: every scalar a string, lists of
    one element unwrapped, empty lists gone."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if item is None or item == []:
                continue
            if isinstance(item, list):
                singular = {"attributes": "attribute", "values": "value", "formats": "format",
                            "endpoints": "endpoint"}.get(key, key[:-1])
                items = [xml_like(i) for i in item]
                out[key] = {singular: items[0] if len(items) == 1 else items}
            else:
                out[key] = xml_like(item)
        return out
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    return value


def raw(url, **params):
    response = requests.get(url, params=params)
    return response.status_code, response.headers.get("content-type", ""), response.text


def main():
    config = json.load(sys.stdin)
    base, api_key = config["base"], config["api_key"]
    out = {}
    json_client = GeoReport(base, api_key=api_key)
    xml_client = GeoReport(base, api_key=api_key, output_format="xml")
    three = Three(base + "/", api_key=api_key, format="json")
    for step in config["steps"]:
        kind = step["kind"]
        if kind == "discovery":
            out["discovery"] = check(DISCOVERY, three.discovery())
            status, ctype, text = raw(base + "/discovery.xml")
            out["discovery_xml_equal"] = xmltodict.parse(text)["discovery"] == xml_like(out["discovery"])
        elif kind == "services":
            services = check(SERVICES, json_client.get_service_list())
            out["services"] = services
            xml = as_list(xml_client.get_service_list())
            out["services_xml_equal"] = xml == [xml_like(s) for s in services]
            out["definitions"] = {}
            for service in services:
                code = service["service_code"]
                definition = check(DEFINITION, json_client.get_service_definition(code))
                xml = xml_client.get_service_definition(code)
                out["definitions"][code] = {
                    "json": definition,
                    "xml_equal": xml == xml_like(definition),
                }
        elif kind == "post":
            three.post(step["service_code"], **step["fields"])
            response = three.post_response
            document = response.json()
            schema = CREATED if response.status_code == 201 else ERRORS
            out.setdefault("posts", []).append(
                {"status": response.status_code, "body": check(schema, document)})
        elif kind == "post_xml":
            fields = dict(step["fields"], service_code=step["service_code"], api_key=step.get("api_key", api_key))
            response = requests.post(base + "/requests.xml", data=fields)
            out.setdefault("posts_xml", []).append(
                {"status": response.status_code, "body": xmltodict.parse(response.text)})
        elif kind == "token":
            document = check(TOKEN, three.token(step["token"]))
            out.setdefault("tokens", []).append(document)
        elif kind == "requests":
            params = step.get("params", {})
            documents = check(REQUESTS, json_client.get_service_requests(**params))
            status, ctype, text = raw(base + "/requests.xml", **params)
            xml = as_list(xmltodict.parse(text)["service_requests"]["request"]) if documents else []
            out.setdefault("requests", []).append({
                "count": len(documents),
                "documents": documents if len(documents) <= 20 else documents[:20],
                "xml_equal": xml == [xml_like(d) for d in documents],
            })
        elif kind == "request":
            document = check(REQUESTS, [json_client.get_service_request(step["id"])])
            xml = xml_client.get_service_request(step["id"])
            out.setdefault("request", []).append({"json": document[0], "xml_equal": xml == xml_like(document[0])})
        elif kind == "error":
            status, ctype, text = raw(base + step["path"], **step.get("params", {}))
            if step["path"].endswith(".xml"):
                body = xmltodict.parse(text)
                check(ERRORS, [dict(e, code=int(e["code"])) for e in as_list(body["errors"]["error"])])
            else:
                body = check(ERRORS, json.loads(text))
            out.setdefault("errors", []).append({"status": status, "content_type": ctype, "body": body})
    json.dump(out, sys.stdout)


main()
