//! `lifecycle/schemas/*.json` stay in sync with the types: this test fails when they drift and
//! rewrites them when `UPDATE_SCHEMAS=1`.

#[test]
fn schemas_are_in_sync() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas");
    let update = std::env::var("UPDATE_SCHEMAS").is_ok_and(|v| v == "1");
    let schemas = lifecycle::schema::schemas();
    assert!(schemas.len() >= 13);
    if update {
        std::fs::create_dir_all(dir).unwrap();
    }
    for (name, schema) in &schemas {
        assert!(schema.is_object(), "{name}");
        let text = serde_json::to_string_pretty(schema).unwrap() + "\n";
        let path = format!("{dir}/{name}");
        if update {
            std::fs::write(&path, &text).unwrap();
        } else {
            let stored = std::fs::read_to_string(&path)
                .unwrap_or_else(|_| panic!("{path} is missing; run with UPDATE_SCHEMAS=1"));
            assert_eq!(stored, text, "{name} is stale; run with UPDATE_SCHEMAS=1");
        }
    }
    let mut stored: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    stored.sort();
    let mut names: Vec<String> = schemas.iter().map(|(n, _)| (*n).to_owned()).collect();
    names.sort();
    assert_eq!(stored, names, "schemas/ holds files no type generates");
}

#[test]
fn golden_documents_validate_against_their_schemas() {
    // A cheap structural check without a validator dependency: every property the schema
    // requires is present in the golden document.
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/reference");
    let pairs = [
        (
            "policy-lifecycle-plan.schema.json",
            "policy-lifecycle/policy-lifecycle-plan.json",
        ),
        (
            "policy-lifecycle-readiness-packet.schema.json",
            "examples/enterprise-policy-lifecycle.sample.json",
        ),
        (
            "policy-lifecycle-readiness-result.schema.json",
            "enterprise-policy-lifecycle-sample.json",
        ),
        (
            "policy-lifecycle-export.schema.json",
            "policy-lifecycle-export.json",
        ),
    ];
    let schemas: std::collections::HashMap<_, _> =
        lifecycle::schema::schemas().into_iter().collect();
    for (schema_name, document) in pairs {
        let schema = &schemas[schema_name];
        let text = std::fs::read_to_string(format!("{fixtures}/{document}")).unwrap();
        let document: serde_json::Value = serde_json::from_str(&text).unwrap();
        let required: Vec<&str> = schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        // Our optional additions after CAVRA's fields (a packet's `invariants`) may be absent.
        let properties: Vec<&String> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|key| document.get(key.as_str()).is_some() || required.contains(&key.as_str()))
            .collect();
        let keys: Vec<&String> = document.as_object().unwrap().keys().collect();
        assert_eq!(
            properties, keys,
            "{schema_name}: property order follows CAVRA's key order"
        );
        for required in schema["required"].as_array().unwrap() {
            assert!(
                document.get(required.as_str().unwrap()).is_some(),
                "{schema_name}: {required}"
            );
        }
    }
}
