#pragma once
// What people do, as the domain sees it, independent of Slack or the console.
#include <string>

namespace promotebot::commands {

struct slash_command {
    std::string command;       // "/freeze"
    std::string text;          // everything after the command word
    std::string user_id;       // who typed it
    std::string channel_id;    // where
    std::string response_url;  // Slack's reply URL (empty in the console)
    std::string trigger_id;    // Slack's modal trigger (empty in the console)
};

struct button_press {
    std::string action_id;     // button::action_id
    std::string value;         // button::value
    std::string user_id;
    std::string channel_id;
    std::string message_ts;    // the message that carried the button
    std::string response_url;
    std::string trigger_id;
};

// Someone opened the app's Home tab: it is published for them, as of now.
struct home_opened {
    std::string user_id;
};

}  // namespace promotebot::commands
