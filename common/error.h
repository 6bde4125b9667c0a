// segsweep::Error: the one exception type library code throws for bad input or a failed call.
// Messages name the thing at fault (a file, a key path, a socket) and the problem, so the CLI
// can print them as they are. Tools catch it in main() and exit non-zero; nothing else aborts.
#pragma once

#include <stdexcept>
#include <string>

namespace segsweep {

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace segsweep
