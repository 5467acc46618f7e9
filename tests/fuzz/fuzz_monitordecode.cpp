// SPDX-License-Identifier: MIT
// libFuzzer target: the monitoring protocol's decoder (libpool/monitoring). The input is read as a
// byte stream from a client and from a server: whole, and again fed in two pieces split where its
// first byte says. Both ways must give the same messages and the same verdict, within the limits;
// every message decoded is also read as stats, connection rows and sessions rows the way the client
// reads them.
// A mismatch aborts.
#include "monitorcodec_p.h"
#include "monitordecoder_p.h"
#include "sessionscodec_p.h"

#include <QtCore/QCborArray>

#include <cstdint>
#include <cstdlib>

namespace {

using namespace QPg::Monitoring;

void check(bool condition)
{
    if (!condition)
        std::abort();
}

void decodeBothWays(QByteArrayView bytes, Sender sender)
{
    const DecodeResult whole = decodeFrames(bytes, sender, false);
    check(whole.consumed >= 0 && whole.consumed <= bytes.size());
    for (const Message &message : whole.messages) {
        check(!message.body.isEmpty());
        // What the client does with a snapshot must not fail on any shape the decoder lets through.
        (void)decodePoolStats(message.body.value(QStringLiteral("stats")).toMap());
        (void)decodeConnections(message.body.value(QStringLiteral("connections")).toArray());
        (void)decodeSessions(message.body.value(QStringLiteral("rows")).toArray());
    }

    const qsizetype split = bytes.isEmpty() ? 0 : qsizetype(uint8_t(bytes.front())) % (bytes.size() + 1);
    Decoder decoder(sender);
    const bool firstOk = decoder.feed(bytes.first(split));
    QList<Message> messages = decoder.takeMessages();
    const bool secondOk = firstOk && decoder.feed(bytes.sliced(split));
    messages += decoder.takeMessages();
    check(secondOk == whole.error.isEmpty());
    check(messages.size() == whole.messages.size());
    for (qsizetype i = 0; i < messages.size(); ++i) {
        check(messages.at(i).type == whole.messages.at(i).type);
        check(messages.at(i).body.toCborValue().toCbor() == whole.messages.at(i).body.toCborValue().toCbor());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    decodeBothWays(bytes, Sender::Client);
    decodeBothWays(bytes, Sender::Server);
    return 0;
}
