#include "adapters/chat/slash_command.h"

#include <cctype>

#include "adapters/chat/common.h"

#include "bot/text.h"

namespace adapters::chat {
namespace {

std::string FormDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); i++) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> ParseForm(std::string_view body) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t amp = body.find('&', pos);
    std::string_view pair = body.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (!pair.empty()) {
      size_t eq = pair.find('=');
      std::string name = FormDecode(pair.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : FormDecode(pair.substr(eq + 1));
      out.emplace(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return out;
}

std::string FormField(const std::map<std::string, std::string>& form, const char* name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

bool TakeKeyword(std::string* text, std::string_view keyword) {
  if (keyword.empty()) return false;
  std::string_view t = bot::Trim(*text);
  if (t.size() < keyword.size()) return false;
  for (size_t i = 0; i < keyword.size(); i++) {
    if (std::tolower(static_cast<unsigned char>(t[i])) != std::tolower(static_cast<unsigned char>(keyword[i]))) {
      return false;
    }
  }
  if (t.size() > keyword.size() && !std::isspace(static_cast<unsigned char>(t[keyword.size()]))) return false;
  *text = std::string(bot::Trim(t.substr(keyword.size())));
  return true;
}

std::string EscapeAngleBrackets(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

nlohmann::json CommandText(const std::string& text) { return {{"response_type", "ephemeral"}, {"text", text}}; }

std::string HelpText(std::string_view command, std::string_view public_keyword) {
  std::string cmd = EscapeAngleBrackets(command.empty() ? std::string_view("/ask") : command);
  std::string text =
      "I answer questions about backend-developer careers: skills, languages, databases, pay, "
      "interviews, career paths.\nTry `" +
      cmd + " How much do backend developers earn?`";
  if (!public_keyword.empty()) {
    std::string word = EscapeAngleBrackets(public_keyword);
    text += "\nOnly you see my answer; start with `" + word + "` to answer in the channel: `" + cmd + " " + word +
            " Which databases should I learn?`";
  }
  return text;
}

Turn DecodeSlashCommand(const std::map<std::string, std::string>& form, std::string_view public_keyword) {
  const std::string team = FormField(form, "team_id");
  const std::string user = FormField(form, "user_id");
  const std::string command = FormField(form, "command");
  std::string text = FormField(form, "text");
  const bool in_channel = TakeKeyword(&text, public_keyword);
  Turn turn;
  turn.Limit(team + ":" + user);
  turn.what = "slash command";
  if (bot::IsBlank(text)) {
    turn.reply = Reply{200, CommandText(HelpText(command, public_keyword))};
    return turn;
  }
  turn.act = Turn::Act::kAsk;
  turn.question.text = text;
  turn.conversation = team + ":" + FormField(form, "channel_id") + ":" + user;
  turn.context = {{"in_channel", in_channel}, {"command", command}};
  return turn;
}

Reply SlashCommandFailure() {
  return Reply{200, CommandText("Sorry, I cannot answer right now. Please try again in a minute.")};
}

}  // namespace adapters::chat
