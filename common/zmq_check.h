// ZMQ_CHECK: the one check macro on the ZeroMQ C API boundary. It evaluates a libzmq call that
// returns -1 on failure and, if it failed, throws segsweep::Error naming the call, file:line and
// zmq_strerror(errno), e.g. "zmq_setsockopt(socket, ZMQ_CURVE_SERVER, ...) failed at
// coordinator/zap_handler.cpp:40: Invalid argument". (cppzmq's own calls throw zmq::error_t;
// the socket helpers in common/zmq_socket.h catch those at their boundary.)
#pragma once

#include <string>

#include <zmq.h>

#include "common/error.h"

namespace segsweep {

[[noreturn]] inline void zmq_check_failed(const char* call, const char* file, int line, int error_number) {
    throw Error(std::string(call) + " failed at " + file + ":" + std::to_string(line) + ": " +
                zmq_strerror(error_number));
}

}  // namespace segsweep

// Evaluates `call` once; throws segsweep::Error when it returns -1.
#define ZMQ_CHECK(call)                                                              \
    do {                                                                             \
        if ((call) == -1) ::segsweep::zmq_check_failed(#call, __FILE__, __LINE__, zmq_errno()); \
    } while (0)
