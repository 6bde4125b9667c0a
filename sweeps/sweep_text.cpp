// Sweep file text to JSON: format detection, nlohmann JSON parsing, and a yaml-cpp node walk that
// types YAML's plain scalars.
#include "sweeps/sweep_text.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "common/error.h"

namespace segsweep {
namespace {

constexpr size_t kMaxSweepFileBytes = 16 * 1024 * 1024;  // bytes; a sweep file is a few KiB
constexpr int kMaxYamlDepth = 64;                        // nesting levels (a sweep file uses ~4)
constexpr size_t kMaxYamlNodes = 100'000;                // nodes after alias expansion (alias bombs)

struct YamlWalk {
    std::string source;
    size_t nodes = 0;
};

bool ends_with(const std::string& text, const std::string& suffix) {
    return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string where(const std::string& source, const YAML::Mark& mark) {
    if (mark.is_null()) return source;
    return source + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

bool is_yaml_null(const std::string& s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

// A plain scalar as JSON: integer, real, boolean, null, or else a string.
nlohmann::json plain_scalar(const std::string& s, const std::string& at) {
    if (is_yaml_null(s)) return nullptr;
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    const char* begin = s.c_str();
    char* end = nullptr;
    errno = 0;
    const long long integer = std::strtoll(begin, &end, 10);
    if (end != begin && *end == '\0' && errno == 0) return static_cast<int64_t>(integer);
    if (s == ".inf" || s == "-.inf" || s == "+.inf" || s == ".nan" || s == ".NaN" || s == ".Inf" || s == "-.Inf")
        throw Error(at + ": bad YAML: '" + s + "' is not a finite number");
    errno = 0;
    end = nullptr;
    const double real = std::strtod(begin, &end);
    const bool numeric_start = (s[0] >= '0' && s[0] <= '9') || s[0] == '-' || s[0] == '+' || s[0] == '.';
    if (numeric_start && end != begin && *end == '\0') {
        if (!std::isfinite(real)) throw Error(at + ": bad YAML: '" + s + "' is not a finite number");
        return real;
    }
    return s;
}

nlohmann::json yaml_to_json(const YAML::Node& node, YamlWalk& walk, int depth) {
    const std::string& source = walk.source;
    if (depth > kMaxYamlDepth)
        throw Error(where(source, node.Mark()) + ": bad YAML: nested deeper than " + std::to_string(kMaxYamlDepth) +
                    " levels");
    if (++walk.nodes > kMaxYamlNodes)
        throw Error(source + ": bad YAML: more than " + std::to_string(kMaxYamlNodes) +
                    " nodes (after expanding aliases)");
    switch (node.Type()) {
        case YAML::NodeType::Undefined:
        case YAML::NodeType::Null:
            return nullptr;
        case YAML::NodeType::Scalar: {
            const std::string& tag = node.Tag();
            if (tag == "!" || tag == "tag:yaml.org,2002:str") return node.Scalar();  // quoted: a string
            return plain_scalar(node.Scalar(), where(source, node.Mark()));
        }
        case YAML::NodeType::Sequence: {
            nlohmann::json array = nlohmann::json::array();
            for (const auto& item : node) array.push_back(yaml_to_json(item, walk, depth + 1));
            return array;
        }
        case YAML::NodeType::Map: {
            nlohmann::json object = nlohmann::json::object();
            for (const auto& entry : node) {
                if (!entry.first.IsScalar())
                    throw Error(where(source, entry.first.Mark()) + ": bad YAML: a key must be a plain name");
                const std::string key = entry.first.Scalar();
                if (object.contains(key))
                    throw Error(where(source, entry.first.Mark()) + ": bad YAML: key '" + key + "' appears twice");
                object[key] = yaml_to_json(entry.second, walk, depth + 1);
            }
            return object;
        }
    }
    return nullptr;
}

}  // namespace

const char* sweep_format_name(SweepFormat format) { return format == SweepFormat::json ? "json" : "yaml"; }

SweepFormat sweep_format_for(const std::string& file_name, const std::string& text) {
    if (ends_with(file_name, ".json")) return SweepFormat::json;
    if (ends_with(file_name, ".yaml") || ends_with(file_name, ".yml")) return SweepFormat::yaml;
    for (char ch : text) {
        if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') continue;
        return ch == '{' ? SweepFormat::json : SweepFormat::yaml;
    }
    return SweepFormat::yaml;
}

nlohmann::json parse_sweep_document(const std::string& text, SweepFormat format, const std::string& source) {
    if (format == SweepFormat::json) {
        try {
            return nlohmann::json::parse(text);
        } catch (const nlohmann::json::parse_error& e) {
            std::string message = e.what();
            const auto bracket = message.find("] ");
            if (message.rfind("[json.exception", 0) == 0 && bracket != std::string::npos)
                message = message.substr(bracket + 2);
            throw Error(source + ": bad JSON: " + message);
        }
    }
    try {
        const YAML::Node root = YAML::Load(text);
        YamlWalk walk{source};
        return yaml_to_json(root, walk, 0);
    } catch (const YAML::Exception& e) {
        throw Error(where(source, e.mark) + ": bad YAML: " + e.msg);
    }
}

std::string read_sweep_file_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error(path + ": cannot open the sweep file");
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error(path + ": cannot read the sweep file");
    std::string content = text.str();
    if (content.size() > kMaxSweepFileBytes)
        throw Error(path + ": the sweep file is larger than " + std::to_string(kMaxSweepFileBytes) + " bytes");
    return content;
}

}  // namespace segsweep
