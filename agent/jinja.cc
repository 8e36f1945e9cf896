// The Jinja engine of jinja.h: a template is cut into text, {{ }} and
// {% %} chunks (comments dropped, whitespace control and trim_blocks
// applied), the chunks are parsed into a tree of nodes with expression
// trees, and the tree is rendered against the variables with Python's
// value semantics (str(), truthiness, comparisons) as Jinja2 applies them.

#include "agent/jinja.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>

namespace nubo::jinja {
namespace {

// Errors inside the engine; Render turns them into an Error.
struct RenderError {
  std::string message;
};

[[noreturn]] void Fail(const std::string& message) { throw RenderError{message}; }
[[noreturn]] void Unsupported(const std::string& what, int line) {
  Fail("unsupported: " + what + " at line " + std::to_string(line));
}

// ---- Python's view of values ----------------------------------------------

std::string PyStrOf(const Value& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array() || v.is_object()) return PyRepr(v);
  return PyStr(v);
}

bool PyTruthy(const Value& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get_ref<const std::string&>().empty();
  if (v.is_binary()) return !v.get_binary().empty();
  if (v.is_array() || v.is_object()) return !v.empty();
  return true;
}

std::string PyTypeName(const Value& v) {
  if (v.is_null()) return "NoneType";
  return TypeName(v);
}

// Jinja2's object_type_repr: "dict object", "None".
std::string ObjectTypeRepr(const Value& v) {
  if (v.is_null()) return "None";
  return PyTypeName(v) + " object";
}

// ---- runtime values ----------------------------------------------------------

struct JVal {
  enum class Kind { kValue, kUndefined, kMethod, kRange };
  Kind kind = Kind::kValue;
  Value v;              // the value, or a method's receiver
  std::string name;     // an undefined's name, or a method's name
  std::string message;  // an undefined's UndefinedError message

  static JVal Of(Value v) {
    JVal j;
    j.v = std::move(v);
    return j;
  }
  static JVal Undefined(std::string name, std::string message) {
    JVal j;
    j.kind = Kind::kUndefined;
    j.name = std::move(name);
    j.message = std::move(message);
    return j;
  }
  bool undefined() const { return kind == Kind::kUndefined; }
};

[[noreturn]] void FailUndefined(const JVal& u) { Fail(u.message); }

const Value& Need(const JVal& j) {
  if (j.undefined()) FailUndefined(j);
  if (j.kind != JVal::Kind::kValue) Fail("TypeError: a method is not a value");
  return j.v;
}

std::string StrOf(const JVal& j) {
  if (j.undefined()) return std::string(kMissingPrefix) + j.name;
  if (j.kind == JVal::Kind::kMethod) return "<built-in method " + j.name + ">";
  return PyStrOf(j.v);
}

bool Truthy(const JVal& j) { return j.undefined() ? false : PyTruthy(j.v); }

// ---- template chunks -------------------------------------------------------------

struct Chunk {
  enum class Type { kText, kVar, kBlock };
  Type type;
  std::string text;
  int line;
};

int LineAt(std::string_view s, size_t pos) {
  return 1 + static_cast<int>(std::count(s.begin(), s.begin() + static_cast<long>(pos), '\n'));
}

void RStrip(std::string& s) {
  size_t e = s.find_last_not_of(" \t\r\n\f\v");
  s.erase(e == std::string::npos ? 0 : e + 1);
}

// Where the tag opened at `start` (after its opener) closes: the index of
// `closer`, skipping string literals.
size_t FindCloser(std::string_view s, size_t start, std::string_view closer) {
  char quote = 0;
  for (size_t i = start; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == '\\') ++i;
      else if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      continue;
    }
    if (s.compare(i, closer.size(), closer) == 0) return i;
  }
  return std::string_view::npos;
}

std::vector<Chunk> Chunks(std::string_view src) {
  std::vector<Chunk> out;
  size_t pos = 0;
  bool strip_next = false;  // a "-}}"/"-%}" strips the whitespace after it
  auto add_text = [&](std::string text) {
    if (strip_next) {
      size_t b = text.find_first_not_of(" \t\r\n\f\v");
      text.erase(0, b == std::string::npos ? text.size() : b);
      strip_next = false;
    }
    if (!text.empty()) out.push_back({Chunk::Type::kText, std::move(text), 0});
  };
  while (pos <= src.size()) {
    size_t open = std::string_view::npos;
    for (size_t i = pos; i + 1 < src.size(); ++i) {
      if (src[i] == '{' && (src[i + 1] == '{' || src[i + 1] == '%' || src[i + 1] == '#')) {
        open = i;
        break;
      }
    }
    if (open == std::string_view::npos) {
      add_text(std::string(src.substr(pos)));
      break;
    }
    add_text(std::string(src.substr(pos, open - pos)));
    char kind = src[open + 1];
    int line = LineAt(src, open);
    size_t inner = open + 2;
    if (inner < src.size() && src[inner] == '-') {
      if (!out.empty() && out.back().type == Chunk::Type::kText) {
        RStrip(out.back().text);
        if (out.back().text.empty()) out.pop_back();
      }
      ++inner;
    } else if (inner < src.size() && src[inner] == '+') {
      ++inner;
    }
    std::string closer = kind == '{' ? "}}" : kind == '%' ? "%}" : "#}";
    size_t close = kind == '#' ? src.find(closer, inner) : FindCloser(src, inner, closer);
    if (close == std::string_view::npos) {
      Fail(std::string("syntax error at line ") + std::to_string(line) + ": " +
           (kind == '#' ? "missing end of comment tag" : "unexpected end of template, the tag is not closed"));
    }
    size_t content_end = close;
    bool minus = close > inner && src[close - 1] == '-';
    if (minus) --content_end;
    std::string content(src.substr(inner, content_end - inner));
    pos = close + 2;
    if (minus) {
      strip_next = true;
    } else if (kind != '{' && pos < src.size() && src[pos] == '\n') {
      ++pos;  // trim_blocks
    }
    if (kind == '#') continue;
    if (kind == '%') {
      static const std::regex raw_re("\\s*raw\\s*");
      if (std::regex_match(content, raw_re)) {
        static const std::regex end_re("\\{%(-?)\\s*endraw\\s*(-?)%\\}");
        std::cmatch m;
        if (!std::regex_search(src.data() + pos, src.data() + src.size(), m, end_re)) {
          Fail("syntax error at line " + std::to_string(line) + ": missing endraw");
        }
        std::string raw(src.substr(pos, static_cast<size_t>(m.position(0))));
        if (strip_next) {
          size_t b = raw.find_first_not_of(" \t\r\n\f\v");
          raw.erase(0, b == std::string::npos ? raw.size() : b);
          strip_next = false;
        }
        if (m[1].length() > 0) RStrip(raw);
        if (!raw.empty()) out.push_back({Chunk::Type::kText, raw, 0});
        pos += static_cast<size_t>(m.position(0) + m.length(0));
        if (m[2].length() > 0) strip_next = true;
        else if (pos < src.size() && src[pos] == '\n') ++pos;
        continue;
      }
    }
    out.push_back({kind == '{' ? Chunk::Type::kVar : Chunk::Type::kBlock, content, line});
  }
  return out;
}

// ---- expressions -------------------------------------------------------------

struct Token {
  enum class Type { kName, kInt, kFloat, kStr, kOp, kEnd };
  Type type;
  std::string text;
  Value literal;
};

std::vector<Token> Tokenize(const std::string& s, int line) {
  std::vector<Token> out;
  size_t i = 0;
  static const char* kOps[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "(", ")",
                               "[", "]", "{", "}", ",", ".", ":", "|", "=", "<", ">"};
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      out.push_back({Token::Type::kName, s.substr(i, j - i), {}});
      i = j;
      continue;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      bool is_float = false;
      if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
        is_float = true;
        ++j;
        while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '_')) ++j;
      }
      if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
        size_t k = j + 1;
        if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
        if (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k]))) {
          is_float = true;
          j = k;
          while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
        }
      }
      std::string text = s.substr(i, j - i);
      text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
      Token t{is_float ? Token::Type::kFloat : Token::Type::kInt, text, {}};
      if (is_float) t.literal = std::stod(text);
      else t.literal = static_cast<int64_t>(std::stoll(text));
      out.push_back(std::move(t));
      i = j;
      continue;
    }
    if (c == '\'' || c == '"') {
      std::string value;
      size_t j = i + 1;
      for (; j < s.size() && s[j] != c; ++j) {
        if (s[j] == '\\' && j + 1 < s.size()) {
          char e = s[++j];
          value += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
        } else {
          value += s[j];
        }
      }
      if (j >= s.size()) Fail("syntax error at line " + std::to_string(line) + ": unterminated string");
      out.push_back({Token::Type::kStr, value, value});
      i = j + 1;
      continue;
    }
    bool matched = false;
    for (const char* op : kOps) {
      size_t n = std::char_traits<char>::length(op);
      if (s.compare(i, n, op) == 0) {
        out.push_back({Token::Type::kOp, op, {}});
        i += n;
        matched = true;
        break;
      }
    }
    if (!matched) {
      Fail("syntax error at line " + std::to_string(line) + ": unexpected char " + PyRepr(Value(std::string(1, c))));
    }
  }
  out.push_back({Token::Type::kEnd, "", {}});
  return out;
}

struct Expr;
using ExprPtr = std::shared_ptr<Expr>;

struct Expr {
  enum class Kind {
    kLiteral, kName, kAttr, kItem, kCall, kFilter, kTest, kNot, kNeg, kPos, kBinary, kAnd, kOr,
    kCond, kList, kDict, kCompare
  };
  Kind kind;
  std::string name;  // name, attribute, filter, test, operator
  Value literal;
  std::vector<ExprPtr> args;                            // operands / arguments
  std::vector<std::pair<std::string, ExprPtr>> kwargs;  // keyword arguments
  std::vector<std::string> ops;                         // comparison chain
  bool negated = false;                                 // "is not"
};

ExprPtr MakeExpr(Expr::Kind kind, std::string name = {}) {
  auto e = std::make_shared<Expr>();
  e->kind = kind;
  e->name = std::move(name);
  return e;
}

class ExprParser {
 public:
  ExprParser(const std::string& text, int line) : tokens_(Tokenize(text, line)), line_(line) {}

  const Token& Peek(size_t ahead = 0) const { return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)]; }
  bool AtEnd() const { return Peek().type == Token::Type::kEnd; }
  bool IsOp(std::string_view op, size_t ahead = 0) const {
    return Peek(ahead).type == Token::Type::kOp && Peek(ahead).text == op;
  }
  bool IsName(std::string_view name, size_t ahead = 0) const {
    return Peek(ahead).type == Token::Type::kName && Peek(ahead).text == name;
  }
  Token Take() { return tokens_[pos_ < tokens_.size() - 1 ? pos_++ : pos_]; }
  void ExpectOp(std::string_view op) {
    if (!IsOp(op)) SyntaxError("expected '" + std::string(op) + "'");
    ++pos_;
  }
  std::string TakeName() {
    if (Peek().type != Token::Type::kName) SyntaxError("expected a name");
    return Take().text;
  }
  [[noreturn]] void SyntaxError(const std::string& what) const {
    std::string got = Peek().type == Token::Type::kEnd ? "end of statement" : "'" + Peek().text + "'";
    Fail("syntax error at line " + std::to_string(line_) + ": " + what + ", got " + got);
  }
  void ExpectEnd() {
    if (!AtEnd()) SyntaxError("expected end of statement");
  }

  // parse_expression: x if c else y
  ExprPtr Expression() {
    ExprPtr e = Or();
    while (IsName("if")) {
      Take();
      ExprPtr cond = Or();
      ExprPtr otherwise;
      if (IsName("else")) {
        Take();
        otherwise = Expression();
      }
      auto c = MakeExpr(Expr::Kind::kCond);
      c->args = {cond, e, otherwise};
      e = c;
    }
    return e;
  }
  // A comma-separated tuple of expressions (for `for` iterables and `set`);
  // a for loop's iterable takes no "x if c else y" (its "if" filters).
  ExprPtr TupleOrExpression(bool with_condition = true) {
    auto one = [&] { return with_condition ? Expression() : Or(); };
    ExprPtr first = one();
    if (!IsOp(",")) return first;
    auto list = MakeExpr(Expr::Kind::kList);
    list->args.push_back(first);
    while (IsOp(",")) {
      Take();
      if (AtEnd() || IsName("if")) break;
      list->args.push_back(one());
    }
    return list;
  }
  ExprPtr Or() {
    ExprPtr e = And();
    while (IsName("or")) {
      Take();
      auto n = MakeExpr(Expr::Kind::kOr);
      n->args = {e, And()};
      e = n;
    }
    return e;
  }
  ExprPtr And() {
    ExprPtr e = Not();
    while (IsName("and")) {
      Take();
      auto n = MakeExpr(Expr::Kind::kAnd);
      n->args = {e, Not()};
      e = n;
    }
    return e;
  }
  ExprPtr Not() {
    if (IsName("not")) {
      Take();
      auto n = MakeExpr(Expr::Kind::kNot);
      n->args = {Not()};
      return n;
    }
    return Compare();
  }
  ExprPtr Compare() {
    ExprPtr e = Math1();
    auto cmp = MakeExpr(Expr::Kind::kCompare);
    cmp->args.push_back(e);
    while (true) {
      std::string op;
      if (Peek().type == Token::Type::kOp &&
          (Peek().text == "==" || Peek().text == "!=" || Peek().text == "<" || Peek().text == "<=" ||
           Peek().text == ">" || Peek().text == ">=")) {
        op = Take().text;
      } else if (IsName("in")) {
        Take();
        op = "in";
      } else if (IsName("not") && IsName("in", 1)) {
        Take();
        Take();
        op = "notin";
      } else {
        break;
      }
      cmp->ops.push_back(op);
      cmp->args.push_back(Math1());
    }
    return cmp->ops.empty() ? e : cmp;
  }
  ExprPtr Binary(std::function<ExprPtr()> next, std::initializer_list<std::string_view> ops) {
    ExprPtr e = next();
    while (true) {
      std::string op;
      for (auto o : ops) {
        if (IsOp(o)) op = std::string(o);
      }
      if (op.empty()) return e;
      Take();
      auto n = MakeExpr(Expr::Kind::kBinary, op);
      n->args = {e, next()};
      e = n;
    }
  }
  ExprPtr Math1() { return Binary([this] { return Concat(); }, {"+", "-"}); }
  ExprPtr Concat() { return Binary([this] { return Math2(); }, {"~"}); }
  ExprPtr Math2() { return Binary([this] { return Pow(); }, {"*", "/", "//", "%"}); }
  ExprPtr Pow() { return Binary([this] { return Unary(true); }, {"**"}); }
  ExprPtr Unary(bool with_filter) {
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      bool neg = Take().text == "-";
      node = MakeExpr(neg ? Expr::Kind::kNeg : Expr::Kind::kPos);
      node->args = {Unary(false)};
    } else {
      node = Primary();
    }
    node = Postfix(node);
    if (with_filter) node = FilterExpr(node);
    return node;
  }
  ExprPtr Primary() {
    Token t = Take();
    switch (t.type) {
      case Token::Type::kName: {
        if (t.text == "true" || t.text == "True") return Literal(true);
        if (t.text == "false" || t.text == "False") return Literal(false);
        if (t.text == "none" || t.text == "None") return Literal(nullptr);
        return MakeExpr(Expr::Kind::kName, t.text);
      }
      case Token::Type::kInt:
      case Token::Type::kFloat:
        return Literal(t.literal);
      case Token::Type::kStr: {
        std::string s = t.literal.get<std::string>();
        while (Peek().type == Token::Type::kStr) s += Take().literal.get<std::string>();  // "a" "b"
        return Literal(s);
      }
      case Token::Type::kOp:
        if (t.text == "(") {
          ExprPtr e = TupleOrExpression();
          ExpectOp(")");
          return e;
        }
        if (t.text == "[") {
          auto list = MakeExpr(Expr::Kind::kList);
          while (!IsOp("]")) {
            if (!list->args.empty()) ExpectOp(",");
            if (IsOp("]")) break;
            list->args.push_back(Expression());
          }
          ExpectOp("]");
          return list;
        }
        if (t.text == "{") {
          auto dict = MakeExpr(Expr::Kind::kDict);
          while (!IsOp("}")) {
            if (!dict->args.empty()) ExpectOp(",");
            if (IsOp("}")) break;
            dict->args.push_back(Expression());
            ExpectOp(":");
            dict->args.push_back(Expression());
          }
          ExpectOp("}");
          return dict;
        }
        break;
      default:
        break;
    }
    --pos_;
    SyntaxError("unexpected token");
  }
  ExprPtr Literal(Value v) {
    auto e = MakeExpr(Expr::Kind::kLiteral);
    e->literal = std::move(v);
    return e;
  }
  void Arguments(Expr& call) {
    ExpectOp("(");
    size_t given = 0;
    while (!IsOp(")")) {
      if (given++ > 0) ExpectOp(",");
      if (IsOp(")")) break;
      if (Peek().type == Token::Type::kName && IsOp("=", 1)) {
        std::string key = Take().text;
        Take();
        call.kwargs.emplace_back(key, Expression());
      } else {
        call.args.push_back(Expression());
      }
    }
    ExpectOp(")");
  }
  ExprPtr Postfix(ExprPtr node) {
    while (true) {
      if (IsOp(".")) {
        Take();
        Token t = Take();
        if (t.type == Token::Type::kName) {
          auto a = MakeExpr(Expr::Kind::kAttr, t.text);
          a->args = {node};
          node = a;
        } else if (t.type == Token::Type::kInt) {  // foo.0 is foo[0]
          auto a = MakeExpr(Expr::Kind::kItem);
          a->args = {node, Literal(t.literal)};
          node = a;
        } else {
          --pos_;
          SyntaxError("expected a name after '.'");
        }
      } else if (IsOp("[")) {
        Take();
        if (IsOp(":") || (Peek(1).type == Token::Type::kOp && Peek(1).text == ":")) {
          Fail("unsupported: slice at line " + std::to_string(line_));
        }
        auto a = MakeExpr(Expr::Kind::kItem);
        a->args = {node, Expression()};
        ExpectOp("]");
        node = a;
      } else if (IsOp("(")) {
        auto c = MakeExpr(Expr::Kind::kCall);
        c->args.push_back(node);
        Arguments(*c);
        node = c;
      } else {
        return node;
      }
    }
  }
  ExprPtr FilterExpr(ExprPtr node) {
    while (true) {
      if (IsOp("|")) {
        Take();
        std::string name = TakeName();
        while (IsOp(".")) {  // dotted filter names
          Take();
          name += "." + TakeName();
        }
        auto f = MakeExpr(Expr::Kind::kFilter, name);
        f->args.push_back(node);
        if (IsOp("(")) Arguments(*f);
        node = Postfix(f);
      } else if (IsName("is")) {
        Take();
        auto t = MakeExpr(Expr::Kind::kTest);
        if (IsName("not")) {
          Take();
          t->negated = true;
        }
        t->name = TakeName();
        t->args.push_back(node);
        if (IsOp("(")) {
          Arguments(*t);
        } else if (!AtEnd() && (Peek().type == Token::Type::kStr || Peek().type == Token::Type::kInt ||
                                Peek().type == Token::Type::kFloat ||
                                (Peek().type == Token::Type::kName && !IsName("and") && !IsName("or") &&
                                 !IsName("else") && !IsName("if") && !IsName("is") && !IsName("in") &&
                                 !IsName("not")))) {
          t->args.push_back(Primary());  // "x is divisibleby 3"
        }
        node = t;
      } else {
        return node;
      }
    }
  }

 private:
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int line_;
};

// ---- statements ----------------------------------------------------------------

struct Node {
  enum class Kind { kText, kOutput, kIf, kFor, kSet, kDo };
  Kind kind;
  int line = 0;
  std::string text;
  ExprPtr expr;  // output / for iterable / set value / do
  std::vector<std::pair<ExprPtr, std::vector<Node>>> branches;  // if / elif
  std::vector<Node> body, else_body;
  std::vector<std::string> targets;  // for / set names
  ExprPtr filter;                    // for ... if cond
};

class TemplateParser {
 public:
  explicit TemplateParser(std::vector<Chunk> chunks) : chunks_(std::move(chunks)) {}

  std::vector<Node> Parse() {
    std::string end;
    auto body = Body({}, &end);
    return body;
  }

 private:
  static std::string FirstWord(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = b;
    while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
    return s.substr(b, e - b);
  }
  static std::string Rest(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = b;
    while (e < s.size() && (std::isalnum(static_cast<unsigned char>(s[e])) || s[e] == '_')) ++e;
    return s.substr(e);
  }

  // Parses nodes until one of `ends` (a block keyword); stores which.
  std::vector<Node> Body(const std::set<std::string>& ends, std::string* ended_by) {
    std::vector<Node> out;
    while (pos_ < chunks_.size()) {
      const Chunk& c = chunks_[pos_];
      if (c.type == Chunk::Type::kText) {
        out.push_back({Node::Kind::kText, 0, c.text});
        ++pos_;
        continue;
      }
      if (c.type == Chunk::Type::kVar) {
        ExprParser p(c.text, c.line);
        Node n{Node::Kind::kOutput, c.line};
        n.expr = p.Expression();
        p.ExpectEnd();
        out.push_back(std::move(n));
        ++pos_;
        continue;
      }
      std::string word = FirstWord(c.text);
      if (ends.count(word)) {
        *ended_by = word;
        return out;
      }
      ++pos_;
      int line = c.line;
      std::string rest = Rest(c.text);
      if (word == "if") {
        Node n{Node::Kind::kIf, line};
        std::string cond = rest;
        while (true) {
          ExprParser p(cond, line);
          ExprPtr e = p.Expression();
          p.ExpectEnd();
          std::string end;
          auto body = Body({"elif", "else", "endif"}, &end);
          n.branches.emplace_back(e, std::move(body));
          if (end.empty()) Fail("syntax error at line " + std::to_string(line) + ": missing endif");
          const Chunk& ec = chunks_[pos_++];
          if (end == "elif") {
            cond = Rest(ec.text);
            line = ec.line;
            continue;
          }
          if (end == "else") {
            std::string end2;
            n.else_body = Body({"endif"}, &end2);
            if (end2.empty()) Fail("syntax error at line " + std::to_string(line) + ": missing endif");
            ++pos_;
          }
          break;
        }
        out.push_back(std::move(n));
      } else if (word == "for") {
        Node n{Node::Kind::kFor, line};
        ExprParser p(rest, line);
        do {
          if (!n.targets.empty()) p.ExpectOp(",");
          if (p.IsOp("(")) Unsupported("nested for targets", line);
          n.targets.push_back(p.TakeName());
        } while (p.IsOp(","));
        if (!p.IsName("in")) p.SyntaxError("expected 'in'");
        p.Take();
        n.expr = p.TupleOrExpression(false);
        if (p.IsName("if")) {
          p.Take();
          n.filter = p.Expression();
        }
        if (p.IsName("recursive")) Unsupported("recursive for", line);
        p.ExpectEnd();
        std::string end;
        n.body = Body({"else", "endfor"}, &end);
        if (end.empty()) Fail("syntax error at line " + std::to_string(line) + ": missing endfor");
        ++pos_;
        if (end == "else") {
          std::string end2;
          n.else_body = Body({"endfor"}, &end2);
          if (end2.empty()) Fail("syntax error at line " + std::to_string(line) + ": missing endfor");
          ++pos_;
        }
        out.push_back(std::move(n));
      } else if (word == "set") {
        Node n{Node::Kind::kSet, line};
        ExprParser p(rest, line);
        do {
          if (!n.targets.empty()) p.ExpectOp(",");
          n.targets.push_back(p.TakeName());
          if (p.IsOp(".")) Unsupported("namespace assignment", line);
        } while (p.IsOp(","));
        if (p.AtEnd()) Unsupported("block set", line);
        p.ExpectOp("=");
        n.expr = p.TupleOrExpression();
        p.ExpectEnd();
        out.push_back(std::move(n));
      } else if (word == "do") {
        Node n{Node::Kind::kDo, line};
        ExprParser p(rest, line);
        n.expr = p.TupleOrExpression();
        p.ExpectEnd();
        out.push_back(std::move(n));
      } else if (word == "macro" || word == "call" || word == "include" || word == "import" || word == "from" ||
                 word == "extends" || word == "block" || word == "with" || word == "filter" ||
                 word == "autoescape" || word == "trans" || word == "break" || word == "continue") {
        Unsupported(word, line);
      } else if (word.empty()) {
        Fail("syntax error at line " + std::to_string(line) + ": empty block tag");
      } else {
        Fail("syntax error at line " + std::to_string(line) + ": unknown tag '" + word + "'");
      }
    }
    return out;
  }

  std::vector<Chunk> chunks_;
  size_t pos_ = 0;
};

// ---- evaluation ----------------------------------------------------------------

bool IsNumber(const Value& v) { return v.is_number() || v.is_boolean(); }
double AsDouble(const Value& v) { return v.is_boolean() ? (v.get<bool>() ? 1 : 0) : v.get<double>(); }
bool IsIntLike(const Value& v) { return v.is_number_integer() || v.is_number_unsigned() || v.is_boolean(); }
int64_t AsInt(const Value& v) { return v.is_boolean() ? (v.get<bool>() ? 1 : 0) : v.get<int64_t>(); }

[[noreturn]] void TypeErrorOperands(const std::string& op, const Value& a, const Value& b) {
  Fail("unsupported operand type(s) for " + op + ": '" + PyTypeName(a) + "' and '" + PyTypeName(b) + "'");
}

bool PyEquals(const Value& a, const Value& b) {
  if (IsNumber(a) && IsNumber(b)) return AsDouble(a) == AsDouble(b);
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!PyEquals(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

// a < b, as Python orders ints/floats, strs and lists.
bool PyLess(const Value& a, const Value& b, const std::string& op) {
  if (IsNumber(a) && IsNumber(b)) return AsDouble(a) < AsDouble(b);
  if (a.is_string() && b.is_string()) return a.get<std::string>() < b.get<std::string>();
  if (a.is_array() && b.is_array()) {
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
      if (!PyEquals(a[i], b[i])) return PyLess(a[i], b[i], op);
    }
    return a.size() < b.size();
  }
  Fail("'" + op + "' not supported between instances of '" + PyTypeName(a) + "' and '" + PyTypeName(b) + "'");
}

bool Contains(const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) {
      Fail("'in <string>' requires string as left operand, not " + PyTypeName(item));
    }
    return container.get<std::string>().find(item.get<std::string>()) != std::string::npos;
  }
  if (container.is_array()) {
    return std::any_of(container.begin(), container.end(), [&](const Value& x) { return PyEquals(x, item); });
  }
  if (container.is_object()) return item.is_string() ? container.contains(item.get<std::string>()) : false;
  Fail("argument of type '" + PyTypeName(container) + "' is not iterable");
}

// The items a for loop or a filter iterates over.
std::vector<Value> Iterate(const JVal& j) {
  if (j.undefined()) return {};
  const Value& v = Need(j);
  std::vector<Value> out;
  if (v.is_array()) {
    out.assign(v.begin(), v.end());
  } else if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) out.push_back(it.key());
  } else if (v.is_string()) {
    for (char c : v.get<std::string>()) out.push_back(std::string(1, c));
  } else {
    Fail("'" + PyTypeName(v) + "' object is not iterable");
  }
  return out;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Strip(const std::string& s, const std::string& chars = " \t\r\n\f\v") {
  size_t b = s.find_first_not_of(chars);
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(chars);
  return s.substr(b, e - b + 1);
}
std::string ReplaceAll(std::string s, const std::string& from, const std::string& to, int64_t count = -1) {
  if (from.empty()) {  // Python inserts `to` between every character
    std::string out;
    int64_t n = 0;
    for (size_t i = 0; i <= s.size(); ++i) {
      if (count < 0 || n < count) {
        out += to;
        ++n;
      }
      if (i < s.size()) out += s[i];
    }
    return out;
  }
  size_t pos = 0;
  int64_t n = 0;
  while ((count < 0 || n < count) && (pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
    ++n;
  }
  return s;
}

// Python's int(str): optional sign, digits, underscores between digits.
std::optional<int64_t> ParsePyInt(const std::string& text) {
  static const std::regex re("\\s*[-+]?[0-9]+(?:_[0-9]+)*\\s*");
  if (!std::regex_match(text, re)) return std::nullopt;
  std::string t;
  for (char c : text) {
    if (c != '_' && !std::isspace(static_cast<unsigned char>(c))) t += c;
  }
  try {
    return std::stoll(t);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}
std::optional<double> ParsePyFloat(const std::string& text) {
  static const std::regex re("\\s*[-+]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][-+]?[0-9]+)?\\s*");
  if (!std::regex_match(text, re)) return std::nullopt;
  return std::strtod(text.c_str(), nullptr);
}

class Renderer {
 public:
  explicit Renderer(const Value& globals) : globals_(globals) { scopes_.emplace_back(); }

  void Run(const std::vector<Node>& nodes, std::string& out) {
    for (const Node& n : nodes) RunNode(n, out);
  }

 private:
  void RunNode(const Node& n, std::string& out) {
    switch (n.kind) {
      case Node::Kind::kText:
        out += n.text;
        return;
      case Node::Kind::kOutput:
        out += StrOf(Eval(*n.expr));
        return;
      case Node::Kind::kIf:
        for (const auto& [cond, body] : n.branches) {
          if (Truthy(Eval(*cond))) {
            Run(body, out);
            return;
          }
        }
        Run(n.else_body, out);
        return;
      case Node::Kind::kFor: {
        std::vector<Value> items = Iterate(Eval(*n.expr));
        scopes_.emplace_back();
        if (n.filter) {
          std::vector<Value> kept;
          for (const Value& item : items) {
            Bind(n.targets, item);
            if (Truthy(Eval(*n.filter))) kept.push_back(item);
          }
          items = std::move(kept);
        }
        for (size_t i = 0; i < items.size(); ++i) {
          Bind(n.targets, items[i]);
          int64_t len = static_cast<int64_t>(items.size()), idx = static_cast<int64_t>(i);
          scopes_.back()["loop"] = JVal::Of(Value{{"index", idx + 1},
                                                  {"index0", idx},
                                                  {"revindex", len - idx},
                                                  {"revindex0", len - idx - 1},
                                                  {"first", i == 0},
                                                  {"last", i + 1 == items.size()},
                                                  {"length", len},
                                                  {"previtem", i > 0 ? items[i - 1] : Value()},
                                                  {"nextitem", i + 1 < items.size() ? items[i + 1] : Value()}});
          Run(n.body, out);
        }
        scopes_.pop_back();
        if (items.empty()) Run(n.else_body, out);
        return;
      }
      case Node::Kind::kSet: {
        JVal v = Eval(*n.expr);
        if (n.targets.size() == 1) {
          scopes_.back()[n.targets[0]] = v;
        } else {
          std::vector<Value> items = Iterate(v);
          if (items.size() != n.targets.size()) {
            Fail("ValueError: not enough values to unpack (expected " + std::to_string(n.targets.size()) + ")");
          }
          for (size_t i = 0; i < items.size(); ++i) scopes_.back()[n.targets[i]] = JVal::Of(items[i]);
        }
        return;
      }
      case Node::Kind::kDo:
        (void)Eval(*n.expr);
        return;
    }
  }

  void Bind(const std::vector<std::string>& targets, const Value& item) {
    if (targets.size() == 1) {
      scopes_.back()[targets[0]] = JVal::Of(item);
      return;
    }
    std::vector<Value> parts = Iterate(JVal::Of(item));
    if (parts.size() != targets.size()) {
      Fail("ValueError: " + std::string(parts.size() < targets.size() ? "not enough" : "too many") +
           " values to unpack (expected " + std::to_string(targets.size()) + ")");
    }
    for (size_t i = 0; i < parts.size(); ++i) scopes_.back()[targets[i]] = JVal::Of(parts[i]);
  }

  JVal Lookup(const std::string& name) {
    for (auto it = scopes_.rbegin(); it != scopes_.rend(); ++it) {
      auto found = it->find(name);
      if (found != it->end()) return found->second;
    }
    if (globals_.is_object() && globals_.contains(name)) return JVal::Of(globals_[name]);
    if (name == "range") {
      JVal r;
      r.kind = JVal::Kind::kRange;
      return r;
    }
    return JVal::Undefined(name, "'" + name + "' is undefined");
  }

  // Environment.getattr: attributes (methods) first, then items.
  JVal GetAttr(const JVal& obj, const std::string& attr) {
    if (obj.undefined()) FailUndefined(obj);
    const Value& v = Need(obj);
    static const std::set<std::string> kDictMethods = {"items", "keys", "values", "get"};
    static const std::set<std::string> kStrMethods = {"upper", "lower", "startswith", "endswith", "split",
                                                      "strip", "lstrip", "rstrip", "replace", "title",
                                                      "capitalize", "splitlines", "join", "count", "find"};
    static const std::set<std::string> kListMethods = {"append", "index", "count"};
    if ((v.is_object() && kDictMethods.count(attr)) || (v.is_string() && kStrMethods.count(attr)) ||
        (v.is_array() && kListMethods.count(attr))) {
      JVal m;
      m.kind = JVal::Kind::kMethod;
      m.v = v;
      m.name = attr;
      return m;
    }
    if (v.is_object() && v.contains(attr)) return JVal::Of(v[attr]);
    return JVal::Undefined(attr, "'" + ObjectTypeRepr(v) + "' has no attribute '" + attr + "'");
  }

  // Environment.getitem: items first.
  JVal GetItem(const JVal& obj, const JVal& key) {
    if (obj.undefined()) FailUndefined(obj);
    const Value& v = Need(obj);
    const Value& k = Need(key);
    if (v.is_object() && k.is_string()) {
      if (v.contains(k.get<std::string>())) return JVal::Of(v[k.get<std::string>()]);
      return GetAttr(obj, k.get<std::string>());
    }
    if ((v.is_array() || v.is_string()) && IsIntLike(k)) {
      int64_t i = AsInt(k), n = static_cast<int64_t>(v.is_array() ? v.size() : v.get<std::string>().size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) {
        return v.is_array() ? JVal::Of(v[static_cast<size_t>(i)])
                            : JVal::Of(std::string(1, v.get<std::string>()[static_cast<size_t>(i)]));
      }
    }
    std::string name = PyStrOf(k);
    if (k.is_string()) {
      return JVal::Undefined(name, "'" + ObjectTypeRepr(v) + "' has no attribute '" + name + "'");
    }
    return JVal::Undefined(name, ObjectTypeRepr(v) + " has no element " + PyRepr(k));
  }

  JVal Eval(const Expr& e) {
    switch (e.kind) {
      case Expr::Kind::kLiteral:
        return JVal::Of(e.literal);
      case Expr::Kind::kName:
        return Lookup(e.name);
      case Expr::Kind::kAttr:
        return GetAttr(Eval(*e.args[0]), e.name);
      case Expr::Kind::kItem:
        return GetItem(Eval(*e.args[0]), Eval(*e.args[1]));
      case Expr::Kind::kList: {
        Value list = Value::array();
        for (const auto& a : e.args) list.push_back(Need(Eval(*a)));
        return JVal::Of(list);
      }
      case Expr::Kind::kDict: {
        Value dict = Value::object();
        for (size_t i = 0; i + 1 < e.args.size(); i += 2) dict[PyStrOf(Need(Eval(*e.args[i])))] = Need(Eval(*e.args[i + 1]));
        return JVal::Of(dict);
      }
      case Expr::Kind::kNot:
        return JVal::Of(!Truthy(Eval(*e.args[0])));
      case Expr::Kind::kAnd: {
        JVal a = Eval(*e.args[0]);
        return Truthy(a) ? Eval(*e.args[1]) : a;
      }
      case Expr::Kind::kOr: {
        JVal a = Eval(*e.args[0]);
        return Truthy(a) ? a : Eval(*e.args[1]);
      }
      case Expr::Kind::kCond: {
        if (Truthy(Eval(*e.args[0]))) return Eval(*e.args[1]);
        if (e.args[2]) return Eval(*e.args[2]);
        return JVal::Undefined("", "the inline if-expression on line evaluated to false and no else section was defined.");
      }
      case Expr::Kind::kNeg:
      case Expr::Kind::kPos: {
        JVal operand = Eval(*e.args[0]);  // a reference into Eval's temporary would dangle
        const Value& v = Need(operand);
        if (!IsNumber(v)) Fail("bad operand type for unary " + std::string(e.kind == Expr::Kind::kNeg ? "-" : "+") + ": '" + PyTypeName(v) + "'");
        if (e.kind == Expr::Kind::kPos) return JVal::Of(IsIntLike(v) ? Value(AsInt(v)) : v);
        return JVal::Of(IsIntLike(v) ? Value(-AsInt(v)) : Value(-v.get<double>()));
      }
      case Expr::Kind::kBinary:
        return Binary(e.name, Eval(*e.args[0]), Eval(*e.args[1]));
      case Expr::Kind::kCompare: {
        JVal left = Eval(*e.args[0]);
        for (size_t i = 0; i < e.ops.size(); ++i) {
          JVal right = Eval(*e.args[i + 1]);
          if (!CompareOne(e.ops[i], left, right)) return JVal::Of(false);
          left = right;
        }
        return JVal::Of(true);
      }
      case Expr::Kind::kCall:
        return Call(e);
      case Expr::Kind::kFilter:
        return Filter(e);
      case Expr::Kind::kTest: {
        bool r = Test(e);
        return JVal::Of(e.negated ? !r : r);
      }
    }
    return {};
  }

  bool CompareOne(const std::string& op, const JVal& l, const JVal& r) {
    if (op == "==" || op == "!=") {
      bool eq;
      if (l.undefined() || r.undefined()) eq = l.undefined() && r.undefined();
      else eq = PyEquals(Need(l), Need(r));
      return op == "==" ? eq : !eq;
    }
    if (op == "in" || op == "notin") {
      if (r.undefined()) FailUndefined(r);
      bool in = Contains(Need(r), l.undefined() ? Value(StrOf(l)) : Need(l));
      return op == "in" ? in : !in;
    }
    const Value& a = Need(l);
    const Value& b = Need(r);
    if (op == "<") return PyLess(a, b, op);
    if (op == ">") return PyLess(b, a, op);
    if (op == "<=") return !PyLess(b, a, op);
    return !PyLess(a, b, op);  // >=
  }

  JVal Binary(const std::string& op, const JVal& l, const JVal& r) {
    if (op == "~") return JVal::Of(StrOf(l) + StrOf(r));
    if (op == "-" && l.undefined()) {
      Fail("Undefined jinja variable: \"" + l.name + "-" + ReplaceAll(StrOf(r), std::string(kMissingPrefix), "") +
           "\". Jinja tried subtraction. Perhaps you meant \"" + l.name + "_" +
           ReplaceAll(StrOf(r), std::string(kMissingPrefix), "") + "\"?");
    }
    const Value& a = Need(l);
    const Value& b = Need(r);
    if (op == "+") {
      if (a.is_string() && b.is_string()) return JVal::Of(a.get<std::string>() + b.get<std::string>());
      if (a.is_array() && b.is_array()) {
        Value out = a;
        for (const auto& x : b) out.push_back(x);
        return JVal::Of(out);
      }
    }
    if (op == "*") {
      const Value* seq = a.is_string() || a.is_array() ? &a : b.is_string() || b.is_array() ? &b : nullptr;
      const Value* count = seq == &a ? &b : &a;
      if (seq && IsIntLike(*count)) {
        int64_t n = AsInt(*count);
        if (seq->is_string()) {
          std::string out;
          for (int64_t i = 0; i < n; ++i) out += seq->get<std::string>();
          return JVal::Of(out);
        }
        Value out = Value::array();
        for (int64_t i = 0; i < n; ++i) {
          for (const auto& x : *seq) out.push_back(x);
        }
        return JVal::Of(out);
      }
    }
    if (op == "%" && a.is_string()) Fail("unsupported: printf-style % formatting");
    if (!IsNumber(a) || !IsNumber(b)) TypeErrorOperands(op, a, b);
    bool ints = IsIntLike(a) && IsIntLike(b);
    if (op == "/") {
      if (AsDouble(b) == 0) Fail("ZeroDivisionError: division by zero");
      return JVal::Of(AsDouble(a) / AsDouble(b));
    }
    if (ints) {
      int64_t x = AsInt(a), y = AsInt(b);
      if (op == "+") return JVal::Of(x + y);
      if (op == "-") return JVal::Of(x - y);
      if (op == "*") return JVal::Of(x * y);
      if (op == "**") {
        if (y < 0) return JVal::Of(std::pow(static_cast<double>(x), static_cast<double>(y)));
        int64_t p = 1;
        for (int64_t i = 0; i < y; ++i) p *= x;
        return JVal::Of(p);
      }
      if (y == 0) Fail(op == "//" ? "ZeroDivisionError: integer division or modulo by zero"
                                  : "ZeroDivisionError: integer modulo by zero");
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;  // floor
      if (op == "//") return JVal::Of(q);
      return JVal::Of(x - q * y);  // %
    }
    double x = AsDouble(a), y = AsDouble(b);
    if (op == "+") return JVal::Of(x + y);
    if (op == "-") return JVal::Of(x - y);
    if (op == "*") return JVal::Of(x * y);
    if (op == "**") return JVal::Of(std::pow(x, y));
    if (y == 0) Fail("ZeroDivisionError: float division by zero");
    if (op == "//") return JVal::Of(std::floor(x / y));
    return JVal::Of(x - std::floor(x / y) * y);
  }

  std::vector<JVal> Args(const Expr& e, size_t skip) {
    std::vector<JVal> out;
    for (size_t i = skip; i < e.args.size(); ++i) out.push_back(Eval(*e.args[i]));
    return out;
  }
  std::optional<JVal> Kwarg(const Expr& e, const std::string& name) {
    for (const auto& [k, v] : e.kwargs) {
      if (k == name) return Eval(*v);
    }
    return std::nullopt;
  }
  // Positional argument `i` (after the filtered value), or keyword `name`.
  std::optional<JVal> Arg(const Expr& e, const std::vector<JVal>& args, size_t i, const std::string& name) {
    if (i < args.size()) return args[i];
    return Kwarg(e, name);
  }

  JVal Call(const Expr& e) {
    JVal callee = Eval(*e.args[0]);
    std::vector<JVal> args = Args(e, 1);
    if (callee.undefined()) FailUndefined(callee);
    if (callee.kind == JVal::Kind::kRange) {
      std::vector<int64_t> n;
      for (const auto& a : args) {
        const Value& v = Need(a);
        if (!IsIntLike(v)) Fail("'" + PyTypeName(v) + "' object cannot be interpreted as an integer");
        n.push_back(AsInt(v));
      }
      if (n.empty() || n.size() > 3) Fail("range expected 1 to 3 arguments");
      int64_t start = n.size() > 1 ? n[0] : 0, stop = n.size() > 1 ? n[1] : n[0], step = n.size() > 2 ? n[2] : 1;
      if (step == 0) Fail("ValueError: range() arg 3 must not be zero");
      Value out = Value::array();
      for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
        out.push_back(i);
        if (out.size() > 100000) Fail("range too big");
      }
      return JVal::Of(out);
    }
    if (callee.kind != JVal::Kind::kMethod) Fail("'" + PyTypeName(callee.v) + "' object is not callable");
    const Value& self = callee.v;
    const std::string& m = callee.name;
    auto str_arg = [&](size_t i) -> std::string {
      const Value& v = Need(args.at(i));
      if (!v.is_string()) Fail("must be str, not " + PyTypeName(v));
      return v.get<std::string>();
    };
    if (self.is_object()) {
      if (m == "items") {
        Value out = Value::array();
        for (auto it = self.begin(); it != self.end(); ++it) out.push_back(Value::array({it.key(), it.value()}));
        return JVal::Of(out);
      }
      if (m == "keys" || m == "values") {
        Value out = Value::array();
        for (auto it = self.begin(); it != self.end(); ++it) out.push_back(m == "keys" ? Value(it.key()) : it.value());
        return JVal::Of(out);
      }
      if (m == "get") {
        if (args.empty()) Fail("get expected at least 1 argument, got 0");
        const Value& k = Need(args[0]);
        if (k.is_string() && self.contains(k.get<std::string>())) return JVal::Of(self[k.get<std::string>()]);
        return args.size() > 1 ? args[1] : JVal::Of(nullptr);
      }
    }
    if (self.is_string()) {
      const std::string& s = self.get_ref<const std::string&>();
      if (m == "upper") return JVal::Of(Upper(s));
      if (m == "lower") return JVal::Of(Lower(s));
      if (m == "startswith") return JVal::Of(s.starts_with(str_arg(0)));
      if (m == "endswith") return JVal::Of(s.ends_with(str_arg(0)));
      if (m == "strip" || m == "lstrip" || m == "rstrip") {
        std::string chars = args.empty() ? " \t\r\n\f\v" : str_arg(0);
        size_t b = m == "rstrip" ? 0 : s.find_first_not_of(chars);
        if (b == std::string::npos) return JVal::Of("");
        size_t e2 = m == "lstrip" ? s.size() - 1 : s.find_last_not_of(chars);
        return JVal::Of(s.substr(b, e2 - b + 1));
      }
      if (m == "replace") return JVal::Of(ReplaceAll(s, str_arg(0), str_arg(1)));
      if (m == "count") {
        std::string sub = str_arg(0);
        int64_t n = 0;
        for (size_t p = s.find(sub); !sub.empty() && p != std::string::npos; p = s.find(sub, p + sub.size())) ++n;
        return JVal::Of(n);
      }
      if (m == "find") {
        size_t p = s.find(str_arg(0));
        return JVal::Of(p == std::string::npos ? int64_t{-1} : static_cast<int64_t>(p));
      }
      if (m == "split" || m == "splitlines") {
        Value out = Value::array();
        if (m == "split" && !args.empty() && !Need(args[0]).is_null()) {
          std::string sep = str_arg(0);
          if (sep.empty()) Fail("ValueError: empty separator");
          size_t p = 0, q;
          while ((q = s.find(sep, p)) != std::string::npos) {
            out.push_back(s.substr(p, q - p));
            p = q + sep.size();
          }
          out.push_back(s.substr(p));
        } else {
          std::string cur;
          bool in_word = false;
          for (char c : s) {
            bool split_here = m == "split" ? std::isspace(static_cast<unsigned char>(c)) != 0 : c == '\n';
            if (split_here) {
              if (in_word || m == "splitlines") out.push_back(cur);
              cur.clear();
              in_word = false;
            } else {
              cur += c;
              in_word = true;
            }
          }
          if (in_word) out.push_back(cur);
        }
        return JVal::Of(out);
      }
      if (m == "title" || m == "capitalize") return ApplyCase(m, s);
      if (m == "join") {
        std::string out;
        std::vector<Value> items = Iterate(args.at(0));
        for (size_t i = 0; i < items.size(); ++i) {
          if (!items[i].is_string()) Fail("sequence item " + std::to_string(i) + ": expected str instance, " + PyTypeName(items[i]) + " found");
          out += (i ? s : "") + items[i].get<std::string>();
        }
        return JVal::Of(out);
      }
    }
    if (self.is_array()) {
      if (m == "append") Unsupported("list.append (in-place change)", 0);
      if (m == "index" || m == "count") {
        const Value& x = Need(args.at(0));
        int64_t n = 0;
        for (size_t i = 0; i < self.size(); ++i) {
          if (PyEquals(self[i], x)) {
            if (m == "index") return JVal::Of(static_cast<int64_t>(i));
            ++n;
          }
        }
        if (m == "index") Fail("ValueError: " + PyRepr(x) + " is not in list");
        return JVal::Of(n);
      }
    }
    Fail("'" + PyTypeName(self) + "' object has no attribute '" + m + "'");
  }

  static JVal ApplyCase(const std::string& how, const std::string& s) {
    std::string out = Lower(s);
    if (how == "capitalize") {
      if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
      return JVal::Of(out);
    }
    bool start = true;  // title: upper after any non-letter
    for (char& c : out) {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        if (start) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        start = false;
      } else {
        start = true;
      }
    }
    return JVal::Of(out);
  }

  JVal Filter(const Expr& e) {
    const std::string& f = e.name;
    JVal in = Eval(*e.args[0]);
    std::vector<JVal> args = Args(e, 1);
    if (f == "default" || f == "d") {
      JVal fallback = Arg(e, args, 0, "default_value").value_or(JVal::Of(""));
      std::optional<JVal> boolean = Arg(e, args, 1, "boolean");
      if (in.undefined() || (boolean && Truthy(*boolean) && !Truthy(in))) return fallback;
      return in;
    }
    if (f == "length" || f == "count") {
      if (in.undefined()) return JVal::Of(0);
      const Value& v = Need(in);
      if (v.is_string()) return JVal::Of(static_cast<int64_t>(v.get<std::string>().size()));
      if (v.is_array() || v.is_object()) return JVal::Of(static_cast<int64_t>(v.size()));
      Fail("object of type '" + PyTypeName(v) + "' has no len()");
    }
    if (f == "upper" || f == "lower" || f == "capitalize" || f == "title" || f == "string" || f == "trim") {
      std::string s = StrOf(in);
      if (f == "upper") return JVal::Of(Upper(s));
      if (f == "lower") return JVal::Of(Lower(s));
      if (f == "string") return JVal::Of(s);
      if (f == "trim") {
        std::optional<JVal> chars = Arg(e, args, 0, "chars");
        return JVal::Of(chars && !Need(*chars).is_null() ? Strip(s, StrOf(*chars)) : Strip(s));
      }
      return ApplyCase(f, s);
    }
    if (f == "replace") {
      if (args.size() < 2) Fail("replace expected 2 arguments");
      std::optional<JVal> count = Arg(e, args, 2, "count");
      return JVal::Of(ReplaceAll(StrOf(in), StrOf(args[0]), StrOf(args[1]),
                                 count && !Need(*count).is_null() ? AsInt(Need(*count)) : -1));
    }
    if (f == "join") {
      std::string sep = Arg(e, args, 0, "d") ? StrOf(*Arg(e, args, 0, "d")) : "";
      std::optional<JVal> attribute = Arg(e, args, 1, "attribute");
      std::string out;
      std::vector<Value> items = Iterate(in);
      for (size_t i = 0; i < items.size(); ++i) {
        JVal item = JVal::Of(items[i]);
        if (attribute) item = GetItem(item, *attribute);
        out += (i ? sep : "") + StrOf(item);
      }
      return JVal::Of(out);
    }
    if (f == "first" || f == "last") {
      std::vector<Value> items = Iterate(in);
      if (items.empty()) return JVal::Undefined("", "No " + f + " item, sequence was empty.");
      return JVal::Of(f == "first" ? items.front() : items.back());
    }
    if (f == "int") {
      int64_t fallback = 0;
      if (auto d = Arg(e, args, 0, "default")) fallback = AsInt(Need(*d));
      if (Arg(e, args, 1, "base")) Unsupported("int filter with a base", 0);
      if (in.undefined()) return JVal::Of(fallback);
      const Value& v = Need(in);
      if (IsIntLike(v)) return JVal::Of(AsInt(v));
      if (v.is_number_float()) return JVal::Of(static_cast<int64_t>(v.get<double>()));
      if (v.is_string()) {
        if (auto i = ParsePyInt(v.get<std::string>())) return JVal::Of(*i);
        if (auto d = ParsePyFloat(v.get<std::string>())) return JVal::Of(static_cast<int64_t>(*d));
      }
      return JVal::Of(fallback);
    }
    if (f == "float") {
      double fallback = 0;
      if (auto d = Arg(e, args, 0, "default")) fallback = AsDouble(Need(*d));
      if (in.undefined()) return JVal::Of(fallback);
      const Value& v = Need(in);
      if (IsNumber(v)) return JVal::Of(AsDouble(v));
      if (v.is_string()) {
        if (auto d = ParsePyFloat(v.get<std::string>())) return JVal::Of(*d);
      }
      return JVal::Of(fallback);
    }
    if (f == "abs") {
      const Value& v = Need(in);
      if (!IsNumber(v)) Fail("bad operand type for abs(): '" + PyTypeName(v) + "'");
      return JVal::Of(IsIntLike(v) ? Value(std::llabs(AsInt(v))) : Value(std::fabs(v.get<double>())));
    }
    if (f == "round") {
      const Value& v = Need(in);
      if (!IsNumber(v)) Fail("TypeError: round of a non-number");
      int64_t precision = args.empty() ? 0 : AsInt(Need(args[0]));
      std::string method = args.size() > 1 ? StrOf(args[1]) : "common";
      double scale = std::pow(10.0, static_cast<double>(precision)), x = AsDouble(v) * scale;
      // Python's round(): halves to even.
      double r = method == "ceil" ? std::ceil(x) : method == "floor" ? std::floor(x) : std::nearbyint(x);
      return JVal::Of(r / scale);
    }
    if (f == "list") return JVal::Of(Value(Iterate(in)));
    if (f == "reverse") {
      if (!in.undefined() && Need(in).is_string()) {
        std::string s = Need(in).get<std::string>();
        return JVal::Of(std::string(s.rbegin(), s.rend()));
      }
      std::vector<Value> items = Iterate(in);
      std::reverse(items.begin(), items.end());
      return JVal::Of(Value(items));
    }
    if (f == "sort" || f == "unique") {
      std::vector<Value> items = Iterate(in);
      bool reverse = f == "sort" && Arg(e, args, 0, "reverse") && Truthy(*Arg(e, args, 0, "reverse"));
      bool case_sensitive = Arg(e, args, f == "sort" ? 1 : 0, "case_sensitive") &&
                            Truthy(*Arg(e, args, f == "sort" ? 1 : 0, "case_sensitive"));
      if (Kwarg(e, "attribute")) Unsupported(f + " by attribute", 0);
      auto key = [&](const Value& v) { return v.is_string() && !case_sensitive ? Value(Lower(v.get<std::string>())) : v; };
      if (f == "unique") {
        std::vector<Value> out, seen;
        for (const auto& v : items) {
          Value k = key(v);
          if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return PyEquals(s, k); })) {
            seen.push_back(k);
            out.push_back(v);
          }
        }
        return JVal::Of(Value(out));
      }
      std::stable_sort(items.begin(), items.end(),
                       [&](const Value& a, const Value& b) { return PyLess(key(a), key(b), "<"); });
      if (reverse) std::reverse(items.begin(), items.end());
      return JVal::Of(Value(items));
    }
    Fail("unsupported: filter '" + f + "'");
  }

  bool Test(const Expr& e) {
    const std::string& t = e.name;
    JVal in = Eval(*e.args[0]);
    std::vector<JVal> args = Args(e, 1);
    if (t == "defined") return !in.undefined();
    if (t == "undefined") return in.undefined();
    if (in.undefined() && t != "eq" && t != "equalto" && t != "ne" && t != "==" && t != "!=") {
      return false;  // none, string, number... of an undefined: false
    }
    const Value& v = in.undefined() ? Value() : in.v;
    if (t == "none") return v.is_null();
    if (t == "string") return v.is_string();
    if (t == "number") return v.is_number() || v.is_boolean();
    if (t == "integer") return v.is_number_integer() || v.is_number_unsigned();
    if (t == "float") return v.is_number_float();
    if (t == "boolean") return v.is_boolean();
    if (t == "true") return v.is_boolean() && v.get<bool>();
    if (t == "false") return v.is_boolean() && !v.get<bool>();
    if (t == "mapping") return v.is_object();
    if (t == "sequence" || t == "iterable") return v.is_array() || v.is_object() || v.is_string();
    if (t == "even" || t == "odd") {
      if (!IsIntLike(v)) Fail("not all arguments converted during string formatting");
      return (AsInt(v) % 2 == 0) == (t == "even");
    }
    if (t == "divisibleby") {
      const Value& n = Need(args.at(0));
      return AsInt(n) != 0 && AsInt(v) % AsInt(n) == 0;
    }
    if (t == "eq" || t == "equalto" || t == "==") return CompareOne("==", in, args.at(0));
    if (t == "ne" || t == "!=") return CompareOne("!=", in, args.at(0));
    if (t == "in") return CompareOne("in", in, args.at(0));
    Fail("unsupported: test '" + t + "'");
  }

  const Value& globals_;
  std::vector<std::map<std::string, JVal>> scopes_;
};

const std::regex& OperatorRe() {
  // jinja2.lexer.operator_re: any of Jinja's operator characters.
  static const std::regex re("[-+/*%~\\[\\](){}|.,:;=<>!]");
  return re;
}

Value Convert(const Value& data, const std::string& prefix, const std::vector<std::string>& decode_paths) {
  Value result = Value::object();
  for (auto it = data.begin(); it != data.end(); ++it) {  // sorted, as sorted(data.items())
    const std::string& key = it.key();
    std::string key_path = prefix.empty() ? key : prefix + "/" + key;
    Value value = it.value();
    if (std::find(decode_paths.begin(), decode_paths.end(), key_path) != decode_paths.end() && value.is_string()) {
      auto decoded = ParseYaml("!!binary " + Value(value.get<std::string>()).dump(), key_path);
      if (decoded && decoded->is_binary()) value = BytesOf(*decoded);
    }
    if (value.is_object()) {
      result[key] = Convert(value, key_path, decode_paths);
      static const std::regex v_re("v[0-9]+");
      if (std::regex_match(key, v_re)) {
        for (auto sub = result[key].begin(); sub != result[key].end(); ++sub) result[sub.key()] = sub.value();
      }
    } else {
      result[key] = value;
    }
    std::string alias = std::regex_replace(key, OperatorRe(), "_");
    if (alias != key) result[alias] = result[key];
  }
  return result;
}

}  // namespace

Result<std::string> Render(std::string_view source, const Value& vars) {
  // jinja's lexer: newlines normalised, one trailing newline dropped, and
  // cloud-init's jinja_render puts it back.
  std::string text;
  text.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      text += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      text += source[i];
    }
  }
  bool trailing_newline = !text.empty() && text.back() == '\n';
  if (trailing_newline) text.pop_back();
  try {
    TemplateParser parser(Chunks(text));
    std::vector<Node> nodes = parser.Parse();
    std::string out;
    Renderer renderer(vars);
    renderer.Run(nodes, out);
    if (trailing_newline) out += '\n';
    return out;
  } catch (const RenderError& e) {
    return MakeError(e.message);
  } catch (const std::exception& e) {  // nlohmann type errors and the like
    return MakeError(std::string("TypeError: ") + e.what());
  }
}

Value ConvertInstanceData(const Value& instance_data) {
  if (!instance_data.is_object()) return Value::object();
  std::vector<std::string> decode_paths;
  const Value& keys = Get(instance_data, "base64_encoded_keys");
  const Value& keys_dashed = Get(instance_data, "base64-encoded-keys");
  for (const Value* list : {&keys, &keys_dashed}) {
    if (!list->is_array()) continue;
    for (const auto& k : *list) {
      if (k.is_string()) decode_paths.push_back(std::regex_replace(k.get<std::string>(), std::regex("-"), "_"));
    }
  }
  return Convert(instance_data, "", decode_paths);
}

std::vector<std::string> MissingVariables(std::string_view rendered) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = rendered.find(kMissingPrefix, pos)) != std::string_view::npos) {
    size_t b = pos + kMissingPrefix.size(), e = b;
    while (e < rendered.size() && !std::isspace(static_cast<unsigned char>(rendered[e]))) ++e;
    if (e > b) {
      out.push_back("'" + ReplaceAll(std::string(rendered.substr(b, e - b)), std::string(kMissingPrefix), "") + "'");
    }
    pos = e;
  }
  return out;
}

bool IsJinjaTemplate(std::string_view text, std::string* rest) {
  size_t nl = text.find('\n');
  std::string first(text.substr(0, nl));
  static const std::regex re("##\\s*template:(.*)", std::regex::icase);
  std::smatch m;
  if (!std::regex_search(first, m, re) || m.position(0) != 0) return false;
  std::string type = Lower(Strip(m[1].str()));
  if (type != "jinja") return false;
  if (rest) *rest = nl == std::string_view::npos ? "" : std::string(text.substr(nl + 1));
  return true;
}

}  // namespace nubo::jinja
