// CURVE keys for segsweep: key pair generation (zmq_curve_keypair; cppzmq 4.9 has no wrapper),
// Z85 key files, and the key folder layout that `segsweep keygen` writes and every process reads.
//
// A key folder (default $SEGSWEEP_HOME/keys, i.e. ~/.segsweep/keys; --keys DIR or SEGSWEEP_KEYS):
//   coordinator.pub  coordinator.secret   the coordinator's pair
//   client.pub       client.secret        the pair workers and CLI clients present
//   authorized/*.pub                      the allow-list: public keys the coordinator accepts
// Public files hold one line "public-key = <40 Z85 chars>"; secret files add "secret-key = ..."
// and must not be readable by group or others (loading refuses them, naming chmod 600).
#pragma once

#include <string>
#include <vector>

namespace segsweep {

inline constexpr size_t kZ85KeyChars = 40;  // a 32-byte CURVE key in Z85 text

struct CurveKeyPair {
    std::string public_key;  // Z85, 40 chars
    std::string secret_key;  // Z85, 40 chars; empty when only the public half is known
};

// A fresh pair. Throws segsweep::Error when libzmq lacks CURVE (built without libsodium).
CurveKeyPair generate_curve_key_pair();

// True when `key` is 40 characters of the Z85 alphabet.
bool is_z85_key(const std::string& key);

// Writes NAME.pub (mode 0644) and NAME.secret (mode 0600) into `dir`. Refuses to overwrite an
// existing file unless `overwrite`.
void write_key_pair(const std::string& dir, const std::string& name, const CurveKeyPair& pair, bool overwrite);
// Writes only the public half, e.g. into authorized/.
void write_public_key(const std::string& path, const std::string& public_key, bool overwrite);

// Reads a public key file. Throws segsweep::Error naming the file on any problem.
std::string read_public_key(const std::string& path);
// Reads a secret key file (both halves). Refuses a file readable by group or others.
CurveKeyPair read_secret_key(const std::string& path);
// Every *.pub under `dir` (sorted); an empty list when the folder has none.
std::vector<std::string> read_public_keys_in(const std::string& dir);

// The folder layout.
struct KeyFolder {
    std::string dir;
    std::string coordinator_public() const { return dir + "/coordinator.pub"; }
    std::string coordinator_secret() const { return dir + "/coordinator.secret"; }
    std::string client_public(const std::string& name = "client") const { return dir + "/" + name + ".pub"; }
    std::string client_secret(const std::string& name = "client") const { return dir + "/" + name + ".secret"; }
    std::string authorized_dir() const { return dir + "/authorized"; }
};

// $SEGSWEEP_HOME, or ~/.segsweep.
std::string segsweep_home();
// --keys value if not empty, else $SEGSWEEP_KEYS, else $SEGSWEEP_HOME/keys.
std::string resolve_key_dir(const std::string& flag_value);

// What `segsweep keygen --out DIR [--client NAME]` does: creates DIR (mode 0700) and
// authorized/, makes the coordinator pair if missing, makes the client pair NAME and puts its
// public key into authorized/. Returns the files written.
std::vector<std::string> keygen_folder(const std::string& dir, const std::string& client_name, bool overwrite);

// The text a refusing process prints when keys are missing.
std::string keygen_hint(const std::string& dir);

}  // namespace segsweep
