// The decoded cache file: location, key, and atomic write / validated read.
#include "worker/data/decoded_cache.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "common/log.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ull;
constexpr uint64_t kFnvPrime = 0x100000001b3ull;

struct CacheHeader {
    char magic[8];
    uint32_t version;
    uint32_t reserved;
    uint64_t key;
    int32_t count;
    int32_t size;
    int32_t file_width;
    int32_t file_height;
};

void fnv_bytes(uint64_t& hash, const void* data, size_t length) {
    const auto* bytes = static_cast<const uint8_t*>(data);
    for (size_t i = 0; i < length; ++i) {
        hash ^= bytes[i];
        hash *= kFnvPrime;
    }
}

void fnv_string(uint64_t& hash, const std::string& text) { fnv_bytes(hash, text.c_str(), text.size() + 1); }

template <typename T>
void fnv_value(uint64_t& hash, T value) {
    fnv_bytes(hash, &value, sizeof(value));
}

void fnv_file(uint64_t& hash, const fs::path& file) {
    std::error_code error;
    fnv_string(hash, file.filename().string());
    const auto bytes = fs::file_size(file, error);
    fnv_value<uint64_t>(hash, error ? 0 : bytes);
    const auto mtime = fs::last_write_time(file, error);
    fnv_value<int64_t>(hash, error ? 0 : static_cast<int64_t>(mtime.time_since_epoch().count()));
}

std::string hex16(uint64_t value) {
    char text[17];
    std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(value));
    return text;
}

}  // namespace

fs::path default_cache_dir() {
    if (const char* dir = std::getenv("SEGSWEEP_CACHE_DIR"); dir && *dir) return fs::path(dir);
    if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && *dir) return fs::path(dir) / "segsweep";
    if (const char* home = std::getenv("HOME"); home && *home) return fs::path(home) / ".cache" / "segsweep";
    std::error_code error;
    return fs::temp_directory_path(error) / "segsweep-cache";
}

uint64_t cache_key(const SetFiles& files, int image_size) {
    uint64_t hash = kFnvOffset;
    fnv_value<uint32_t>(hash, kCacheVersion);
    fnv_value<int32_t>(hash, image_size);
    fnv_value<uint64_t>(hash, files.images.size());
    for (const auto& file : files.images) fnv_file(hash, file);
    fnv_value<uint64_t>(hash, files.masks.size());
    for (const auto& file : files.masks) fnv_file(hash, file);
    return hash;
}

fs::path cache_file_path(const fs::path& cache_dir, const fs::path& set_dir, int image_size) {
    std::error_code error;
    fs::path absolute = fs::weakly_canonical(fs::absolute(set_dir, error), error);
    if (absolute.empty()) absolute = set_dir;
    uint64_t hash = kFnvOffset;
    fnv_string(hash, absolute.lexically_normal().string());
    std::string name = absolute.filename().string();
    if (name.empty()) name = "set";
    return cache_dir / (name + "-" + hex16(hash) + "-" + std::to_string(image_size) + "px.u8");
}

bool read_decoded_cache(const fs::path& file, uint64_t key, int image_size, ImageSet& set) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return false;
    CacheHeader header{};
    if (!in.read(reinterpret_cast<char*>(&header), sizeof(header))) return false;
    if (std::memcmp(header.magic, kCacheMagic, sizeof(kCacheMagic)) != 0 || header.version != kCacheVersion ||
        header.key != key || header.size != image_size || header.count < 1 || header.file_width < 1 ||
        header.file_height < 1)
        return false;
    std::error_code error;
    const uint64_t values = static_cast<uint64_t>(header.count) * header.size * header.size * 3;
    if (fs::file_size(file, error) != sizeof(header) + 2 * values || error) return false;
    set.count = header.count;
    set.size = header.size;
    set.file_width = header.file_width;
    set.file_height = header.file_height;
    set.images.resize(values);
    set.masks.resize(values);
    if (!in.read(reinterpret_cast<char*>(set.images.data()), static_cast<std::streamsize>(values)) ||
        !in.read(reinterpret_cast<char*>(set.masks.data()), static_cast<std::streamsize>(values))) {
        set = ImageSet{};
        return false;
    }
    return true;
}

bool write_decoded_cache(const fs::path& file, uint64_t key, const ImageSet& set) {
    static std::atomic<uint64_t> counter{0};
    std::error_code error;
    fs::create_directories(file.parent_path(), error);
    fs::path temporary = file;
    temporary += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    CacheHeader header{};
    std::memcpy(header.magic, kCacheMagic, sizeof(kCacheMagic));
    header.version = kCacheVersion;
    header.key = key;
    header.count = set.count;
    header.size = set.size;
    header.file_width = set.file_width;
    header.file_height = set.file_height;
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (out) {
            out.write(reinterpret_cast<const char*>(&header), sizeof(header));
            out.write(reinterpret_cast<const char*>(set.images.data()), static_cast<std::streamsize>(set.images.size()));
            out.write(reinterpret_cast<const char*>(set.masks.data()), static_cast<std::streamsize>(set.masks.size()));
            out.close();
        }
        if (!out) {
            LOG_W("decoded cache: cannot write %s (%s); loading without a cache", temporary.c_str(),
                  std::strerror(errno));
            fs::remove(temporary, error);
            return false;
        }
    }
    fs::rename(temporary, file, error);
    if (error) {
        LOG_W("decoded cache: cannot rename %s into place (%s)", temporary.c_str(), error.message().c_str());
        fs::remove(temporary, error);
        return false;
    }
    LOG_D("decoded cache: wrote %s (%d images at %dpx)", file.c_str(), set.count, set.size);
    return true;
}

}  // namespace segsweep
