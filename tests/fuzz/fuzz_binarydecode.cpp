// SPDX-License-Identifier: MIT
// libFuzzer target: decodeBinary() on arbitrary bytes. The first byte picks the type (scalars and
// arrays), the rest is the value. Malformed values must give an error, never a crash or a read
// outside the value; whatever decodes must encode again without crashing.
#include "binarycodec_p.h"
#include "fuzztypes.h"

#include <cstdint>
#include <cstring>
#include <memory>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    const quint32 oid = QPgFuzz::pickType(data[0]);
    // libFuzzer's buffer is exactly `size` long, so AddressSanitizer catches any read past the value.
    const auto *value = reinterpret_cast<const char *>(data + 1);
    QVariant decoded;
    QString error;
    if (!QPg::Private::decodeBinary(oid, value, int(size - 1), &decoded, &error)) {
        if (error.isEmpty())
            __builtin_trap(); // an error must say what is wrong
        return 0;
    }
    QByteArray encoded;
    QPg::Private::encodeBinary(oid, decoded, &encoded, &error);
    return 0;
}
