// SPDX-License-Identifier: MIT
// libFuzzer target: decodeText() on arbitrary text. The first byte picks the type (scalars and
// arrays), the rest is the value; decodeText() never fails, it must only never crash.
#include "fuzztypes.h"
#include "textcodec_p.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 20)
        return 0;
    const quint32 oid = QPgFuzz::pickType(data[0]);
    const QVariant value = QPg::Private::decodeText(oid, reinterpret_cast<const char *>(data + 1), int(size - 1));
    Q_UNUSED(value);
    return 0;
}
