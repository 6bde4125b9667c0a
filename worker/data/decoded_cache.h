// The decoded cache: one packed uint8 file per (set folder, image size) holding every image and
// mask of the set already decoded, checked and resized, so an epoch never decodes a JPEG again.
//
// Location: LoadOptions::cache_dir, else $SEGSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/segsweep,
// else $HOME/.cache/segsweep, else <temp dir>/segsweep-cache. It never writes into the dataset, so
// a read-only dataset root (a shared file system, a mounted archive) works. On a cluster, point
// SEGSWEEP_CACHE_DIR at node-local disk or at a shared folder: concurrent writers are safe (each
// writes a private temporary file and renames it into place).
//
// File: <cache dir>/<set name>-<16 hex digits of the set folder's absolute path>-<size>px.u8
//   header (kCacheMagic, version, key, count, size, file width, file height), then
//   count*size*size*3 image bytes, then as many mask bytes.
// The key hashes the set's file names, byte sizes and modification times (ns) and the image size;
// a cache whose key, size or length does not match is ignored and rebuilt. A cache that cannot be
// written (read-only cache dir, full disk) is logged and skipped: loading still works.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>

#include "worker/data/image_set.h"

namespace segsweep {

inline constexpr char kCacheMagic[8] = {'S', 'G', 'S', 'W', 'C', 'A', 'C', 'H'};
inline constexpr uint32_t kCacheVersion = 1;

std::filesystem::path default_cache_dir();

// Key of a set's files at one size (FNV-1a 64 of names, byte sizes, mtimes and the size).
uint64_t cache_key(const SetFiles& files, int image_size);

std::filesystem::path cache_file_path(const std::filesystem::path& cache_dir,
                                      const std::filesystem::path& set_dir, int image_size);

// Reads a cache file into `set` (images, masks, sizes) when it exists and matches `key`;
// returns false otherwise (missing, stale, short or foreign file). Never throws for a bad cache.
bool read_decoded_cache(const std::filesystem::path& file, uint64_t key, int image_size, ImageSet& set);

// Writes atomically (temporary file + rename). Returns false and logs a warning when it cannot.
bool write_decoded_cache(const std::filesystem::path& file, uint64_t key, const ImageSet& set);

}  // namespace segsweep
