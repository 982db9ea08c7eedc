// A small JSON Schema validator for the subset docs/openapi.json uses: type
// (one or a list; "integer" is a number without a fraction; OpenAPI 3.0's
// "nullable": true also admits null), required,
// properties, additionalProperties (a schema), items, enum, minLength,
// maxLength, oneOf, and "$ref": "#/components/schemas/NAME". Unknown keywords
// (description, format, ...) are ignored. Returns the problems found, each
// with its JSON pointer; empty when `value` matches.
#pragma once

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace testing_helpers {

class SchemaValidator {
 public:
  explicit SchemaValidator(const nlohmann::json& document) : doc_(document) {}

  std::vector<std::string> Validate(const nlohmann::json& value, const nlohmann::json& schema,
                                    const std::string& at = "") const {
    std::vector<std::string> problems;
    Check(value, schema, at.empty() ? "/" : at, &problems, 0);
    return problems;
  }

 private:
  const nlohmann::json& Resolve(const nlohmann::json& schema) const {
    if (schema.is_object() && schema.contains("$ref")) {
      std::string ref = schema["$ref"];
      const std::string prefix = "#/components/schemas/";
      static const nlohmann::json kEmpty = nlohmann::json::object();
      if (ref.rfind(prefix, 0) != 0) return kEmpty;
      return doc_["components"]["schemas"][ref.substr(prefix.size())];
    }
    return schema;
  }

  static bool HasType(const nlohmann::json& v, const std::string& type) {
    if (type == "object") return v.is_object();
    if (type == "array") return v.is_array();
    if (type == "string") return v.is_string();
    if (type == "boolean") return v.is_boolean();
    if (type == "null") return v.is_null();
    if (type == "number") return v.is_number();
    if (type == "integer") {
      return v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
    }
    return false;
  }

  void Check(const nlohmann::json& v, const nlohmann::json& raw_schema, const std::string& at,
             std::vector<std::string>* problems, int depth) const {
    if (depth > 32) return;
    const nlohmann::json& schema = Resolve(raw_schema);
    if (!schema.is_object()) return;
    if (schema.contains("oneOf")) {
      int matches = 0;
      for (const auto& option : schema["oneOf"]) {
        std::vector<std::string> p;
        Check(v, option, at, &p, depth + 1);
        if (p.empty()) matches++;
      }
      if (matches != 1) problems->push_back(at + ": matches " + std::to_string(matches) + " of oneOf");
    }
    if (v.is_null() && schema.value("nullable", false)) return;
    if (schema.contains("type")) {
      bool ok = false;
      if (schema["type"].is_array()) {
        for (const auto& t : schema["type"]) ok = ok || HasType(v, t);
      } else {
        ok = HasType(v, schema["type"]);
      }
      if (!ok) {
        problems->push_back(at + ": is " + v.type_name() + ", not " + schema["type"].dump());
        return;
      }
    }
    if (schema.contains("enum")) {
      bool found = false;
      for (const auto& e : schema["enum"]) found = found || e == v;
      if (!found) problems->push_back(at + ": " + v.dump() + " is not one of " + schema["enum"].dump());
    }
    if (v.is_string()) {
      size_t n = v.get<std::string>().size();
      if (schema.contains("minLength") && n < schema["minLength"].get<size_t>()) {
        problems->push_back(at + ": shorter than minLength");
      }
      if (schema.contains("maxLength") && n > schema["maxLength"].get<size_t>()) {
        problems->push_back(at + ": longer than maxLength");
      }
    }
    if (v.is_object()) {
      if (schema.contains("required")) {
        for (const auto& r : schema["required"]) {
          if (!v.contains(r.get<std::string>()))
            problems->push_back(at + ": lacks required '" + r.get<std::string>() + "'");
        }
      }
      const nlohmann::json* props = schema.contains("properties") ? &schema["properties"] : nullptr;
      for (const auto& [key, item] : v.items()) {
        std::string where = at + (at == "/" ? "" : "/") + key;
        if (props && props->contains(key)) {
          Check(item, (*props)[key], where, problems, depth + 1);
        } else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
          Check(item, schema["additionalProperties"], where, problems, depth + 1);
        }
      }
    }
    if (v.is_array() && schema.contains("items")) {
      for (size_t i = 0; i < v.size(); i++) {
        Check(v[i], schema["items"], at + (at == "/" ? "" : "/") + std::to_string(i), problems, depth + 1);
      }
    }
  }

  const nlohmann::json& doc_;
};

}  // namespace testing_helpers
