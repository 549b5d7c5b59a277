// The gcc recipe's C++ test: iostream, a container, an algorithm, an exception across a frame (libstdc++ and the
// unwinder in libgcc_s) and a thread (std::thread through glibc's pthreads).
#include <algorithm>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if defined(__aarch64__)
#define MACHINE "aarch64"
#elif defined(__x86_64__)
#define MACHINE "x86_64"
#else
#error "hello.cpp: an unknown machine"
#endif

static int thrower(int x) {
    if (x > 2) throw std::runtime_error("too big: " + std::to_string(x));
    return x;
}

int main() {
    std::vector<std::string> words{"pear", "apple", "fig"};
    std::sort(words.begin(), words.end());
    std::map<std::string, int> lengths;
    for (const auto &w : words) lengths[w] = static_cast<int>(w.size());
    int caught = 0;
    try {
        thrower(3);
    } catch (const std::runtime_error &e) {
        caught = std::string(e.what()) == "too big: 3";
    }
    int from_thread = 0;
    std::thread t([&] { from_thread = lengths["apple"]; });
    t.join();
    std::cout << "hello from " MACHINE " C++: " << words.front() << " " << from_thread << " " << caught << std::endl;
    return (words.front() == "apple" && from_thread == 5 && caught) ? 0 : 1;
}
