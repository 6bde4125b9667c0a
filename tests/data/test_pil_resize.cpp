// PIL-exact bilinear resize: values worked out by hand from Pillow's Resample.c, and (the
// python3-pil package, a declared dependency in deploy/setup.sh) Pillow itself on random arrays.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>

#include "common/error.h"
#include "tests/data/test_helpers.h"
#include "worker/data/image_io.h"
#include "worker/data/pil_resize.h"

namespace segsweep {
namespace {

namespace fs = std::filesystem;

TEST(PilResize, ShrinkByTwoUsesPillowsWideTriangleAndEdgeRenormalisation) {
    // 4 -> 2, scale 2, support 2. Output 0: centre 1.0, inputs 0..2 with triangle weights
    // 0.75, 0.75, 0.25 (normalised 3/7, 3/7, 1/7): (0*3 + 70*3 + 140)/7 = 50.
    // Output 1: centre 3.0, inputs 1..3 with weights 1/7, 3/7, 3/7: (70 + 140*3 + 210*3)/7 = 160.
    // (A plain 2x2 box average would give 35 and 175.)
    const std::vector<uint8_t> row = {0, 70, 140, 210};
    EXPECT_EQ(pil_resize_bilinear(row.data(), 4, 1, 1, 2, 1), (std::vector<uint8_t>{50, 160}));
}

TEST(PilResize, EnlargeByTwoInterpolatesAndRoundsHalfUp) {
    // 2 -> 4, scale 0.5, support 1: outputs a, 0.75a+0.25b, 0.25a+0.75b, b.
    // a=0, b=10: 2.5 rounds up to 3 and 7.5 to 8 (fixed point + 1/2, then floor).
    const std::vector<uint8_t> row = {0, 10};
    EXPECT_EQ(pil_resize_bilinear(row.data(), 2, 1, 1, 4, 1), (std::vector<uint8_t>{0, 3, 8, 10}));
    const std::vector<uint8_t> column = {0, 100};
    EXPECT_EQ(pil_resize_bilinear(column.data(), 1, 2, 1, 1, 4), (std::vector<uint8_t>{0, 25, 75, 100}));
}

TEST(PilResize, ChannelsAreIndependentAndSameSizeIsACopy) {
    const std::vector<uint8_t> rgb = {0, 10, 200, 70, 20, 100, 140, 30, 0, 210, 40, 50};  // 4x1 RGB
    const auto out = pil_resize_bilinear(rgb.data(), 4, 1, 3, 2, 1);
    ASSERT_EQ(out.size(), 6u);
    EXPECT_EQ(out[0], 50);   // red channel: the 4 -> 2 case above
    EXPECT_EQ(out[3], 160);
    EXPECT_EQ(pil_resize_bilinear(rgb.data(), 4, 1, 3, 4, 1), rgb);
}

TEST(PilResize, OneHotMaskStaysZeroOrOne) {
    std::vector<uint8_t> mask(256 * 256 * 3, 0);
    std::mt19937 generator(3);
    for (size_t p = 0; p < mask.size(); p += 3) mask[p + generator() % 3] = 1;
    const auto out = pil_resize_bilinear(mask.data(), 256, 256, 3, 160, 160);
    for (uint8_t v : out) ASSERT_LE(v, 1);
}

TEST(PilResize, RejectsEmptySizes) { EXPECT_THROW(pil_resize_bilinear(nullptr, 0, 4, 3, 2, 2), Error); }

// Pillow itself, through /usr/bin/python3: raw bytes in, Image.resize(BILINEAR), raw bytes out.
class PillowReference : public ::testing::Test {
protected:
    static bool pillow_available() { return std::system("/usr/bin/python3 -c 'import PIL.Image' 2>/dev/null") == 0; }

    std::vector<uint8_t> pillow_resize(const std::vector<uint8_t>& src, int w, int h, int ow, int oh) {
        const fs::path in = scratch_.path() / "in.raw", out = scratch_.path() / "out.raw";
        std::ofstream(in, std::ios::binary).write(reinterpret_cast<const char*>(src.data()), src.size());
        char command[1024];
        std::snprintf(command, sizeof(command),
                      "/usr/bin/python3 -c \"import PIL.Image as I; d=open('%s','rb').read(); "
                      "open('%s','wb').write(I.frombytes('RGB',(%d,%d),d).resize((%d,%d), I.BILINEAR).tobytes())\"",
                      in.c_str(), out.c_str(), w, h, ow, oh);
        EXPECT_EQ(std::system(command), 0);
        return read_file_bytes(out);
    }

    std::vector<uint8_t> pillow_decode(const fs::path& jpeg) {
        const fs::path out = scratch_.path() / "decoded.raw";
        char command[1024];
        std::snprintf(command, sizeof(command),
                      "/usr/bin/python3 -c \"import PIL.Image as I; "
                      "open('%s','wb').write(I.open('%s').convert('RGB').tobytes())\"",
                      out.c_str(), jpeg.c_str());
        EXPECT_EQ(std::system(command), 0);
        return read_file_bytes(out);
    }

    testing::ScratchDir scratch_{"pillow"};
};

TEST_F(PillowReference, ResizeMatchesPillowBitForBit) {
    ASSERT_TRUE(pillow_available()) << "python3-pil is a test dependency: run deploy/setup.sh";
    std::mt19937 generator(11);
    const int cases[][4] = {{256, 256, 160, 160}, {256, 256, 128, 128}, {160, 160, 64, 64}, {37, 23, 91, 60},
                            {256, 256, 255, 255}, {300, 200, 160, 160}, {5, 7, 3, 2}};
    for (const auto& c : cases) {
        std::vector<uint8_t> src(static_cast<size_t>(c[0]) * c[1] * 3);
        for (auto& v : src) v = static_cast<uint8_t>(generator());
        // Smooth regions too: random noise alone would hide rounding differences on gradients.
        for (int y = 0; y < c[1] / 2; ++y)
            for (int x = 0; x < c[0]; ++x)
                for (int k = 0; k < 3; ++k) src[(static_cast<size_t>(y) * c[0] + x) * 3 + k] = static_cast<uint8_t>((x * 3 + y + k * 40) % 256);
        EXPECT_EQ(pil_resize_bilinear(src.data(), c[0], c[1], 3, c[2], c[3]), pillow_resize(src, c[0], c[1], c[2], c[3]))
            << c[0] << "x" << c[1] << " -> " << c[2] << "x" << c[3];
    }
}

TEST_F(PillowReference, JpegDecodeMatchesPillow) {
    ASSERT_TRUE(pillow_available()) << "python3-pil is a test dependency: run deploy/setup.sh";
    const fs::path images = testing::tiny_synthetic_dataset() / "train" / "images";
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(images)) {
        EXPECT_EQ(read_jpeg(entry.path()).pixels, pillow_decode(entry.path())) << entry.path();
        if (++checked == 3) break;
    }
    EXPECT_EQ(checked, 3);
}

}  // namespace
}  // namespace segsweep
