// FcnArchitecture from a TrialConfig (see fcn_architecture.h).
#include "worker/model/fcn_architecture.h"

namespace segsweep {

FcnArchitecture fcn_architecture(const TrialConfig& config) {
    FcnArchitecture a;
    a.encoder_filters = config.encoder_filters;
    a.conv1x1_filters = config.conv1x1_filters;
    a.conv1x1_kernel = config.conv1x1_kernel;
    a.decoder_filters = config.decoder_filters;
    a.decoder_convs = config.decoder_convs;
    a.output_kernel = config.output_kernel;
    return a;
}

}  // namespace segsweep
