#include "labs/launches.hpp"

#if LABS_GPU && defined(LABS_HAVE_CUPTI)
#include <cupti.h>

#include <atomic>
#endif

namespace lab {

#if LABS_GPU && defined(LABS_HAVE_CUPTI)
namespace {

std::atomic<long> g_launches{0};
std::atomic<long> g_graphs{0};
// A runtime launch calls the driver underneath; whether CUPTI reports that nested driver
// call varies, so driver launches are counted only when no runtime launch is in progress on
// this thread (libraries such as cuBLAS call the driver API directly).
thread_local int t_runtime_depth = 0;

bool is_runtime_launch(CUpti_CallbackId id) {
  switch (id) {
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_v7000:
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernel_ptsz_v7000:
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_v11060:
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchKernelExC_ptsz_v11060:
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_v9000:
    case CUPTI_RUNTIME_TRACE_CBID_cudaLaunchCooperativeKernel_ptsz_v9000:
      return true;
    default:
      return false;
  }
}
bool is_runtime_graph(CUpti_CallbackId id) {
  return id == CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_v10000 ||
         id == CUPTI_RUNTIME_TRACE_CBID_cudaGraphLaunch_ptsz_v10000;
}
bool is_driver_launch(CUpti_CallbackId id) {
  switch (id) {
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel:
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz:
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx:
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz:
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel:
    case CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel_ptsz:
      return true;
    default:
      return false;
  }
}
bool is_driver_graph(CUpti_CallbackId id) {
  return id == CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch || id == CUPTI_DRIVER_TRACE_CBID_cuGraphLaunch_ptsz;
}

void CUPTIAPI on_api(void*, CUpti_CallbackDomain domain, CUpti_CallbackId id, const void* data) {
  const auto* info = static_cast<const CUpti_CallbackData*>(data);
  const bool enter = info->callbackSite == CUPTI_API_ENTER;
  if (domain == CUPTI_CB_DOMAIN_RUNTIME_API) {
    const bool launch = is_runtime_launch(id), graph = is_runtime_graph(id);
    if (!launch && !graph) return;
    if (enter) {
      ++t_runtime_depth;
      ++g_launches;
      if (graph) ++g_graphs;
    } else {
      --t_runtime_depth;
    }
  } else if (domain == CUPTI_CB_DOMAIN_DRIVER_API && enter && t_runtime_depth == 0) {
    if (is_driver_launch(id)) ++g_launches;
    if (is_driver_graph(id)) ++g_launches, ++g_graphs;
  }
}

CUpti_SubscriberHandle subscriber() {
  static CUpti_SubscriberHandle h = nullptr;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (cuptiSubscribe(&h, reinterpret_cast<CUpti_CallbackFunc>(on_api), nullptr) != CUPTI_SUCCESS) h = nullptr;
  }
  return h;
}

}  // namespace

LaunchCount count_launches(const std::function<void(cudaStream_t)>& body, cudaStream_t stream) {
  LaunchCount c;
  LABS_CHECK(cudaStreamSynchronize(stream));
  CUpti_SubscriberHandle h = subscriber();
  if (!h) {  // another CUPTI client (ncu, nsys) holds the subscription: not counted
    body(stream);
    LABS_CHECK(cudaStreamSynchronize(stream));
    return c;
  }
  g_launches = 0;
  g_graphs = 0;
  const bool ok = cuptiEnableDomain(1, h, CUPTI_CB_DOMAIN_RUNTIME_API) == CUPTI_SUCCESS &&
                  cuptiEnableDomain(1, h, CUPTI_CB_DOMAIN_DRIVER_API) == CUPTI_SUCCESS;
  body(stream);
  cuptiEnableDomain(0, h, CUPTI_CB_DOMAIN_RUNTIME_API);
  cuptiEnableDomain(0, h, CUPTI_CB_DOMAIN_DRIVER_API);
  LABS_CHECK(cudaStreamSynchronize(stream));
  if (ok) {
    c.launches = g_launches.load();
    c.graph_launches = g_graphs.load();
  }
  return c;
}
#elif LABS_GPU
LaunchCount count_launches(const std::function<void(cudaStream_t)>& body, cudaStream_t stream) {
  body(stream);
  LABS_CHECK(cudaStreamSynchronize(stream));
  return {};
}
#endif

}  // namespace lab
