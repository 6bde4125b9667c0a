// JPEG (libjpeg-turbo) and PNG (libpng) decoding and encoding, with one check macro per library.
// Both libraries report fatal errors through a callback that must not return; ours formats the
// library's message and longjmps back to the JPEG_CHECK / PNG_CHECK that made the call, which then
// throws segsweep::Error. Nothing with a destructor lives between a setjmp and its library call,
// and the codec handles are RAII objects, so the throw releases everything.
#include "worker/data/image_io.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <jpeglib.h>
#include <png.h>

#include "common/error.h"

namespace segsweep {
namespace {

constexpr int kPngCompressionLevel = 6;  // zlib level of written PNGs (libpng's default)

[[noreturn]] void throw_codec_error(const char* library, const std::string& name, const char* call,
                                    const char* source, int line, const char* message) {
    throw Error(name + ": " + library + " " + call + " failed (" + source + ":" + std::to_string(line) +
                "): " + message);
}

// ---- libjpeg ----

struct JpegErrorManager {
    jpeg_error_mgr base;
    std::jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
};

extern "C" void jpeg_error_exit_to_check(j_common_ptr cinfo) {
    auto* manager = reinterpret_cast<JpegErrorManager*>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, manager->message);
    std::longjmp(manager->jump, 1);
}

// libjpeg reports corrupt or truncated data as warnings (msg_level -1) and carries on with grey
// pixels; PIL refuses such files ("image file is truncated"), and so do we.
extern "C" void jpeg_emit_message_strict(j_common_ptr cinfo, int msg_level) {
    if (msg_level < 0) jpeg_error_exit_to_check(cinfo);
}

void install_jpeg_errors(JpegErrorManager& manager) {
    jpeg_std_error(&manager.base);
    manager.base.error_exit = jpeg_error_exit_to_check;
    manager.base.emit_message = jpeg_emit_message_strict;
    manager.message[0] = '\0';
}

#define JPEG_CHECK(codec, call)                                                                     \
    do {                                                                                            \
        if (setjmp((codec).errors.jump))                                                            \
            throw_codec_error("libjpeg", (codec).name, #call, __FILE__, __LINE__, (codec).errors.message); \
        call;                                                                                       \
    } while (0)

struct JpegDecoder {
    jpeg_decompress_struct info{};
    JpegErrorManager errors{};
    std::string name;
    bool created = false;

    explicit JpegDecoder(std::string file_name) : name(std::move(file_name)) {
        install_jpeg_errors(errors);
        info.err = &errors.base;
    }
    ~JpegDecoder() {
        if (created) jpeg_destroy_decompress(&info);
    }
    JpegDecoder(const JpegDecoder&) = delete;
    JpegDecoder& operator=(const JpegDecoder&) = delete;
};

struct JpegEncoder {
    jpeg_compress_struct info{};
    JpegErrorManager errors{};
    std::string name;
    bool created = false;
    unsigned char* buffer = nullptr;  // jpeg_mem_dest's output (malloc'ed by libjpeg)
    unsigned long buffer_size = 0;

    explicit JpegEncoder(std::string file_name) : name(std::move(file_name)) {
        install_jpeg_errors(errors);
        info.err = &errors.base;
    }
    ~JpegEncoder() {
        if (created) jpeg_destroy_compress(&info);
        std::free(buffer);
    }
    JpegEncoder(const JpegEncoder&) = delete;
    JpegEncoder& operator=(const JpegEncoder&) = delete;
};

void read_jpeg_rows(JpegDecoder& decoder, RgbImage& image) {
    while (decoder.info.output_scanline < decoder.info.output_height) {
        JSAMPROW row = image.at(0, static_cast<int>(decoder.info.output_scanline));
        JPEG_CHECK(decoder, jpeg_read_scanlines(&decoder.info, &row, 1));
    }
}

void write_jpeg_rows(JpegEncoder& encoder, const RgbImage& image) {
    while (encoder.info.next_scanline < encoder.info.image_height) {
        JSAMPROW row = const_cast<uint8_t*>(image.at(0, static_cast<int>(encoder.info.next_scanline)));
        JPEG_CHECK(encoder, jpeg_write_scanlines(&encoder.info, &row, 1));
    }
}

// ---- libpng ----

struct PngErrorState {
    std::string message;
};

extern "C" void png_error_to_check(png_structp png, png_const_charp message) {
    auto* state = static_cast<PngErrorState*>(png_get_error_ptr(png));
    state->message = message ? message : "unknown libpng error";
    png_longjmp(png, 1);
}

// Ancillary-chunk warnings (an odd iCCP profile, ...) do not make a file unreadable.
extern "C" void png_warning_ignore(png_structp, png_const_charp) {}

#define PNG_CHECK(codec, call)                                                                            \
    do {                                                                                                  \
        if (setjmp(png_jmpbuf((codec).png)))                                                              \
            throw_codec_error("libpng", (codec).name, #call, __FILE__, __LINE__, (codec).errors.message.c_str()); \
        call;                                                                                             \
    } while (0)

struct PngMemoryReader {
    const std::vector<uint8_t>* bytes = nullptr;
    size_t offset = 0;
};

extern "C" void png_read_from_memory(png_structp png, png_bytep out, png_size_t length) {
    auto* reader = static_cast<PngMemoryReader*>(png_get_io_ptr(png));
    if (reader->offset + length > reader->bytes->size()) png_error(png, "file is truncated (read past the end)");
    std::memcpy(out, reader->bytes->data() + reader->offset, length);
    reader->offset += length;
}

extern "C" void png_write_to_memory(png_structp png, png_bytep data, png_size_t length) {
    auto* out = static_cast<std::vector<uint8_t>*>(png_get_io_ptr(png));
    out->insert(out->end(), data, data + length);
}

extern "C" void png_flush_nothing(png_structp) {}

struct PngDecoder {
    png_structp png = nullptr;
    png_infop info = nullptr;
    PngErrorState errors;
    std::string name;

    explicit PngDecoder(std::string file_name) : name(std::move(file_name)) {
        png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &errors, png_error_to_check, png_warning_ignore);
        if (!png) throw Error(name + ": libpng png_create_read_struct failed (out of memory)");
        info = png_create_info_struct(png);
        if (!info) {
            png_destroy_read_struct(&png, nullptr, nullptr);
            throw Error(name + ": libpng png_create_info_struct failed (out of memory)");
        }
    }
    ~PngDecoder() { png_destroy_read_struct(&png, &info, nullptr); }
    PngDecoder(const PngDecoder&) = delete;
    PngDecoder& operator=(const PngDecoder&) = delete;
};

struct PngEncoder {
    png_structp png = nullptr;
    png_infop info = nullptr;
    PngErrorState errors;
    std::string name;

    explicit PngEncoder(std::string file_name) : name(std::move(file_name)) {
        png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &errors, png_error_to_check, png_warning_ignore);
        if (!png) throw Error(name + ": libpng png_create_write_struct failed (out of memory)");
        info = png_create_info_struct(png);
        if (!info) {
            png_destroy_write_struct(&png, nullptr);
            throw Error(name + ": libpng png_create_info_struct failed (out of memory)");
        }
    }
    ~PngEncoder() { png_destroy_write_struct(&png, &info); }
    PngEncoder(const PngEncoder&) = delete;
    PngEncoder& operator=(const PngEncoder&) = delete;
};

// The libpng call sequences, kept apart from any object with a destructor (setjmp rules).
void read_png_header(PngDecoder& decoder, PngMemoryReader& reader, png_uint_32& width, png_uint_32& height) {
    PNG_CHECK(decoder, png_set_read_fn(decoder.png, &reader, png_read_from_memory));
    PNG_CHECK(decoder, png_read_info(decoder.png, decoder.info));
    width = png_get_image_width(decoder.png, decoder.info);
    height = png_get_image_height(decoder.png, decoder.info);
    const int color_type = png_get_color_type(decoder.png, decoder.info);
    // Normalise every PNG flavour to 8-bit RGB.
    PNG_CHECK(decoder, png_set_expand(decoder.png));
    PNG_CHECK(decoder, png_set_strip_16(decoder.png));
    PNG_CHECK(decoder, png_set_strip_alpha(decoder.png));
    if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA)
        PNG_CHECK(decoder, png_set_gray_to_rgb(decoder.png));
    PNG_CHECK(decoder, png_set_interlace_handling(decoder.png));
    PNG_CHECK(decoder, png_read_update_info(decoder.png, decoder.info));
    if (png_get_rowbytes(decoder.png, decoder.info) != static_cast<size_t>(width) * 3)
        throw Error(decoder.name + ": PNG does not convert to 8-bit RGB");
}

void read_png_pixels(PngDecoder& decoder, png_bytep* rows) {
    PNG_CHECK(decoder, png_read_image(decoder.png, rows));
    PNG_CHECK(decoder, png_read_end(decoder.png, nullptr));
}

void write_png_stream(PngEncoder& encoder, const RgbImage& image, png_bytep* rows, std::vector<uint8_t>* out) {
    PNG_CHECK(encoder, png_set_write_fn(encoder.png, out, png_write_to_memory, png_flush_nothing));
    PNG_CHECK(encoder, png_set_compression_level(encoder.png, kPngCompressionLevel));
    PNG_CHECK(encoder, png_set_IHDR(encoder.png, encoder.info, static_cast<png_uint_32>(image.width),
                                    static_cast<png_uint_32>(image.height), 8, PNG_COLOR_TYPE_RGB,
                                    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT));
    PNG_CHECK(encoder, png_write_info(encoder.png, encoder.info));
    PNG_CHECK(encoder, png_write_image(encoder.png, rows));
    PNG_CHECK(encoder, png_write_end(encoder.png, nullptr));
}

void check_dimensions(const std::string& name, const RgbImage& image) {
    if (image.width < 1 || image.height < 1 ||
        image.pixels.size() != static_cast<size_t>(image.width) * image.height * 3)
        throw Error(name + ": cannot encode an image of " + std::to_string(image.width) + "x" +
                    std::to_string(image.height) + " with " + std::to_string(image.pixels.size()) + " bytes");
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(file.string() + ": cannot open for reading: " + std::strerror(errno));
    in.seekg(0, std::ios::end);
    const std::streamoff length = in.tellg();
    if (length < 0) throw Error(file.string() + ": cannot read (is it a folder?)");
    in.seekg(0, std::ios::beg);
    std::vector<uint8_t> bytes(static_cast<size_t>(length));
    if (length > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), length))
        throw Error(file.string() + ": read failed: " + std::strerror(errno));
    return bytes;
}

void write_file_bytes(const std::filesystem::path& file, const std::vector<uint8_t>& bytes) {
    static std::atomic<uint64_t> counter{0};
    std::filesystem::path temporary = file;
    temporary += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(file.string() + ": cannot open for writing: " + std::strerror(errno));
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            std::error_code ignored;
            std::filesystem::remove(temporary, ignored);
            throw Error(file.string() + ": write failed: " + std::strerror(errno));
        }
    }
    std::error_code error;
    std::filesystem::rename(temporary, file, error);
    if (error) {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw Error(file.string() + ": cannot rename the written file into place: " + error.message());
    }
}

RgbImage decode_jpeg(const std::vector<uint8_t>& bytes, const std::string& name) {
    if (bytes.empty()) throw Error(name + ": empty file, not a JPEG");
    JpegDecoder decoder(name);
    JPEG_CHECK(decoder, jpeg_create_decompress(&decoder.info));
    decoder.created = true;
    JPEG_CHECK(decoder, jpeg_mem_src(&decoder.info, bytes.data(), static_cast<unsigned long>(bytes.size())));
    JPEG_CHECK(decoder, jpeg_read_header(&decoder.info, TRUE));
    decoder.info.out_color_space = JCS_RGB;
    JPEG_CHECK(decoder, jpeg_start_decompress(&decoder.info));
    if (decoder.info.output_components != 3)
        throw Error(name + ": JPEG decodes to " + std::to_string(decoder.info.output_components) +
                    " components, expected RGB");
    RgbImage image(static_cast<int>(decoder.info.output_width), static_cast<int>(decoder.info.output_height));
    read_jpeg_rows(decoder, image);
    JPEG_CHECK(decoder, jpeg_finish_decompress(&decoder.info));
    return image;
}

RgbImage decode_png(const std::vector<uint8_t>& bytes, const std::string& name) {
    if (bytes.size() < 8 || png_sig_cmp(bytes.data(), 0, 8) != 0) throw Error(name + ": not a PNG file (bad signature)");
    PngDecoder decoder(name);
    PngMemoryReader reader{&bytes, 0};
    png_uint_32 width = 0, height = 0;
    read_png_header(decoder, reader, width, height);
    RgbImage image(static_cast<int>(width), static_cast<int>(height));
    std::vector<png_bytep> rows(height);
    for (png_uint_32 y = 0; y < height; ++y) rows[y] = image.at(0, static_cast<int>(y));
    read_png_pixels(decoder, rows.data());
    return image;
}

RgbImage read_jpeg(const std::filesystem::path& file) { return decode_jpeg(read_file_bytes(file), file.string()); }

RgbImage read_png(const std::filesystem::path& file) { return decode_png(read_file_bytes(file), file.string()); }

std::vector<uint8_t> encode_jpeg(const RgbImage& image, int quality, const std::string& name) {
    check_dimensions(name, image);
    JpegEncoder encoder(name);
    JPEG_CHECK(encoder, jpeg_create_compress(&encoder.info));
    encoder.created = true;
    JPEG_CHECK(encoder, jpeg_mem_dest(&encoder.info, &encoder.buffer, &encoder.buffer_size));
    encoder.info.image_width = static_cast<JDIMENSION>(image.width);
    encoder.info.image_height = static_cast<JDIMENSION>(image.height);
    encoder.info.input_components = 3;
    encoder.info.in_color_space = JCS_RGB;
    JPEG_CHECK(encoder, jpeg_set_defaults(&encoder.info));
    JPEG_CHECK(encoder, jpeg_set_quality(&encoder.info, quality, TRUE));
    encoder.info.dct_method = JDCT_ISLOW;
    encoder.info.optimize_coding = FALSE;
    JPEG_CHECK(encoder, jpeg_start_compress(&encoder.info, TRUE));
    write_jpeg_rows(encoder, image);
    JPEG_CHECK(encoder, jpeg_finish_compress(&encoder.info));
    return std::vector<uint8_t>(encoder.buffer, encoder.buffer + encoder.buffer_size);
}

std::vector<uint8_t> encode_png(const RgbImage& image, const std::string& name) {
    check_dimensions(name, image);
    PngEncoder encoder(name);
    std::vector<uint8_t> out;
    std::vector<png_bytep> rows(static_cast<size_t>(image.height));
    for (int y = 0; y < image.height; ++y) rows[y] = const_cast<uint8_t*>(image.at(0, y));
    write_png_stream(encoder, image, rows.data(), &out);
    return out;
}

void write_jpeg(const std::filesystem::path& file, const RgbImage& image, int quality) {
    write_file_bytes(file, encode_jpeg(image, quality, file.string()));
}

void write_png(const std::filesystem::path& file, const RgbImage& image) {
    write_file_bytes(file, encode_png(image, file.string()));
}

}  // namespace segsweep
