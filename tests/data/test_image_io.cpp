// JPEG/PNG reading and writing: round trips, PNG flavours converted to RGB, and every failure
// reported as segsweep::Error naming the file.
#include <gtest/gtest.h>

#include <png.h>

#include "common/error.h"
#include "tests/data/test_helpers.h"
#include "worker/data/image_io.h"
#include "worker/data/mask_io.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

std::string error_text(const std::function<void()>& call) {
    try {
        call();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(ImageIo, PngRoundTripIsExact) {
    testing::ScratchDir dir("png-roundtrip");
    const RgbImage image = testing::gradient_image(37, 21, 4);
    write_png(dir.path() / "a.png", image);
    const RgbImage back = read_png(dir.path() / "a.png");
    EXPECT_EQ(back.width, 37);
    EXPECT_EQ(back.height, 21);
    EXPECT_EQ(back.pixels, image.pixels);
}

TEST(ImageIo, JpegRoundTripIsClose) {
    testing::ScratchDir dir("jpeg-roundtrip");
    RgbImage image(64, 48);
    for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 64; ++x) {
            uint8_t* p = image.at(x, y);
            p[0] = static_cast<uint8_t>(x * 3);
            p[1] = static_cast<uint8_t>(y * 4);
            p[2] = 128;
        }
    write_jpeg(dir.path() / "a.jpeg", image, kSynthJpegQuality);
    const RgbImage back = read_jpeg(dir.path() / "a.jpeg");
    ASSERT_EQ(back.width, 64);
    ASSERT_EQ(back.height, 48);
    double error = 0;
    for (size_t i = 0; i < image.pixels.size(); ++i) error += std::abs(image.pixels[i] - back.pixels[i]);
    EXPECT_LT(error / image.pixels.size(), 3.0);
}

TEST(ImageIo, JpegEncodingIsDeterministic) {
    const RgbImage image = testing::gradient_image(50, 30, 9);
    EXPECT_EQ(encode_jpeg(image, kSynthJpegQuality, "a"), encode_jpeg(image, kSynthJpegQuality, "b"));
}

TEST(ImageIo, GreyAndAlphaPngsBecomeRgb) {
    testing::ScratchDir dir("png-flavours");
    // An 8-bit grey+alpha PNG written with libpng directly.
    const fs::path file = dir.path() / "grey.png";
    FILE* out = std::fopen(file.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    png_init_io(png, out);
    png_set_IHDR(png, info, 2, 1, 8, PNG_COLOR_TYPE_GRAY_ALPHA, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    uint8_t row[4] = {10, 255, 200, 0};
    png_write_row(png, row);
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(out);
    const RgbImage image = read_png(file);
    EXPECT_EQ(image.pixels, (std::vector<uint8_t>{10, 10, 10, 200, 200, 200}));
}

TEST(ImageIo, TruncatedJpegIsAnErrorNamingTheFile) {
    testing::ScratchDir dir("jpeg-truncated");
    auto bytes = encode_jpeg(testing::gradient_image(64, 64, 1), 90, "x");
    bytes.resize(bytes.size() / 2);
    const fs::path file = dir.path() / "cut.jpeg";
    write_file_bytes(file, bytes);
    const std::string text = error_text([&] { read_jpeg(file); });
    EXPECT_NE(text.find(file.string()), std::string::npos) << text;
    EXPECT_NE(text.find("libjpeg"), std::string::npos) << text;
}

TEST(ImageIo, TruncatedOrCorruptPngIsAnErrorNamingTheFile) {
    testing::ScratchDir dir("png-truncated");
    auto bytes = encode_png(testing::gradient_image(64, 64, 1), "x");
    const fs::path cut = dir.path() / "cut.png";
    write_file_bytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + bytes.size() / 2));
    std::string text = error_text([&] { read_png(cut); });
    EXPECT_NE(text.find(cut.string()), std::string::npos) << text;
    EXPECT_NE(text.find("libpng"), std::string::npos) << text;

    const fs::path corrupt = dir.path() / "corrupt.png";
    bytes[40] ^= 0xFF;   // inside IHDR/IDAT: a CRC error
    write_file_bytes(corrupt, bytes);
    text = error_text([&] { read_png(corrupt); });
    EXPECT_NE(text.find(corrupt.string()), std::string::npos) << text;
}

TEST(ImageIo, NotAnImageAndMissingFileAreErrors) {
    testing::ScratchDir dir("not-image");
    const fs::path text_file = dir.path() / "notes.jpeg";
    write_file_bytes(text_file, {'h', 'e', 'l', 'l', 'o'});
    EXPECT_NE(error_text([&] { read_jpeg(text_file); }).find(text_file.string()), std::string::npos);
    EXPECT_NE(error_text([&] { read_png(text_file); }).find("not a PNG"), std::string::npos);
    const fs::path missing = dir.path() / "missing.png";
    EXPECT_NE(error_text([&] { read_png(missing); }).find(missing.string()), std::string::npos);
    EXPECT_NE(error_text([&] { read_jpeg(dir.path() / "empty.jpeg"); }).find("cannot open"), std::string::npos);
}

TEST(MaskIo, OneHotFromTheThreeColoursAndBack) {
    RgbImage mask(3, 1);
    const uint8_t colors[] = {255, 0, 0, 0, 255, 0, 0, 0, 255};
    std::copy(std::begin(colors), std::end(colors), mask.pixels.begin());
    const RgbImage one_hot = one_hot_from_mask_colors(mask, "m.png");
    EXPECT_EQ(one_hot.pixels, (std::vector<uint8_t>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
    EXPECT_EQ(mask_colors_from_one_hot(one_hot).pixels, mask.pixels);
}

TEST(MaskIo, AnyOtherColourIsAnErrorNamingFilePixelAndColour) {
    RgbImage mask = testing::solid_mask(4, 4, 0);
    uint8_t* bad = mask.at(2, 3);
    bad[0] = 254;
    const std::string text = error_text([&] { one_hot_from_mask_colors(mask, "masks/m.png"); });
    EXPECT_NE(text.find("masks/m.png"), std::string::npos) << text;
    EXPECT_NE(text.find("x 2, y 3"), std::string::npos) << text;
    EXPECT_NE(text.find("(254,0,0)"), std::string::npos) << text;
    mask = testing::solid_mask(4, 4, 1);
    mask.at(0, 0)[2] = 255;   // two classes at once
    EXPECT_THROW(one_hot_from_mask_colors(mask, "m.png"), Error);
}

}  // namespace
}  // namespace segsweep
