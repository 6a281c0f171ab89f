#include "protocol/protocol.hpp"

namespace lontar::protocol {

bool valid_feed_form(FeedForm f) { return f == FeedForm::full || f == FeedForm::redacted || f == FeedForm::withheld; }

}  // namespace lontar::protocol
