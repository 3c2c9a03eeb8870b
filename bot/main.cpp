#include <iostream>
int main() { std::cout << "promotebot " PROMOTEBOT_VERSION "\n"; }
