// SPDX-License-Identifier: MIT
//
//  W A R N I N G
//  -------------
// This file is not part of the QPgPool API. It may change without notice.
#pragma once

#include <QtCore/QByteArrayView>
#include <QtCore/QCryptographicHash>

namespace QPg::Monitoring {

// Compares secrets in time that depends on neither their contents nor where they differ: both are
// hashed to 32 bytes first, so the length of the expected one does not show either.
inline bool sameSecret(QByteArrayView given, QByteArrayView expected)
{
    const QByteArray a = QCryptographicHash::hash(given, QCryptographicHash::Sha256);
    const QByteArray b = QCryptographicHash::hash(expected, QCryptographicHash::Sha256);
    unsigned char difference = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        difference |= static_cast<unsigned char>(a.at(i) ^ b.at(i));
    return difference == 0 && !expected.isEmpty();
}

} // namespace QPg::Monitoring
