// SPDX-License-Identifier: MIT
#pragma once

#include <exception>
#include <optional>
#include <utility>

namespace QPg {

// What a call made with a callback hands to it: the value, or the error the call failed with (as
// QDBusReply does). value() rethrows that error, of its own type (ServerError, AcquireTimeoutError...).
template<typename T>
class Reply
{
public:
    explicit Reply(T value) : m_value(std::move(value)) { }
    explicit Reply(std::exception_ptr error) : m_error(std::move(error)) { }

    bool isValid() const { return m_value.has_value(); }
    std::exception_ptr error() const { return m_error; }

    const T &value() const &
    {
        rethrowIfFailed();
        return *m_value;
    }
    T value() &&
    {
        rethrowIfFailed();
        return std::move(*m_value);
    }

private:
    void rethrowIfFailed() const
    {
        if (m_error)
            std::rethrow_exception(m_error);
    }

    std::optional<T> m_value;
    std::exception_ptr m_error;
};

} // namespace QPg
