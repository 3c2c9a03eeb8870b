namespace promotebot::bot { const char* version() { return PROMOTEBOT_VERSION; } }
