// Decoding and encoding of the dataset's image files: JPEG through libjpeg-turbo, PNG through libpng.
// Every call into either library goes through JPEG_CHECK / PNG_CHECK (image_io.cpp), so a failure
// becomes a segsweep::Error naming the file, the library call, the source line and the library's
// own text ("premature end of data segment", "IHDR: CRC error", ...). A truncated JPEG is an error
// (libjpeg's warnings count as errors here), never a silently grey-filled image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace segsweep {

// An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC): pixels[(y*width + x)*3 + c].
struct RgbImage {
    int width = 0;
    int height = 0;
    std::vector<uint8_t> pixels;

    RgbImage() = default;
    RgbImage(int w, int h) : width(w), height(h), pixels(static_cast<size_t>(w) * h * 3, 0) {}
    uint8_t* at(int x, int y) { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
    const uint8_t* at(int x, int y) const { return &pixels[(static_cast<size_t>(y) * width + x) * 3]; }
};

// JPEG quality the synthetic generator writes (libjpeg defaults otherwise: 4:2:0, ISLOW DCT,
// no optimised Huffman tables, no progressive mode), so the same pixels give the same bytes.
inline constexpr int kSynthJpegQuality = 92;  // libjpeg quality, 1..100

// Whole-file read; throws segsweep::Error naming the file when it is missing or unreadable.
std::vector<uint8_t> read_file_bytes(const std::filesystem::path& file);

// Decoders take the bytes of a file and its name (for messages). Decoded as PIL does by default:
// ISLOW IDCT with fancy upsampling, so the pixels equal PIL's Image.open(...).convert("RGB").
RgbImage decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name);
// Any PNG is converted to 8-bit RGB: palette and grey expanded, 16-bit reduced, alpha dropped.
RgbImage decode_png(const std::vector<uint8_t>& bytes, const std::string& name);

RgbImage read_jpeg(const std::filesystem::path& file);
RgbImage read_png(const std::filesystem::path& file);

// Encoders. write_* write to a temporary name in the same folder and rename, so a reader never
// sees a half-written file. PNGs are 8-bit RGB (colour type 2), zlib level 6, no time chunk.
std::vector<uint8_t> encode_jpeg(const RgbImage& image, int quality, const std::string& name);
std::vector<uint8_t> encode_png(const RgbImage& image, const std::string& name);
void write_jpeg(const std::filesystem::path& file, const RgbImage& image, int quality = kSynthJpegQuality);
void write_png(const std::filesystem::path& file, const RgbImage& image);
void write_file_bytes(const std::filesystem::path& file, const std::vector<uint8_t>& bytes);

}  // namespace segsweep
