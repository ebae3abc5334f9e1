//! Choosing a device, like d2l's `try_gpu` and `try_all_gpus`.
//!
//! CUDA devices exist only when the crate is built with the `cuda` feature and a GPU is
//! there; otherwise everything runs on the CPU. Each GPU is opened once and then reused:
//! candle tells devices apart by the handle, not the ordinal, so two handles to GPU 0
//! would not mix in one operation.

use candle_core::Device;
use std::sync::Mutex;

/// The GPUs opened so far, by ordinal (`None`: tried, not there).
static GPUS: Mutex<Vec<Option<Device>>> = Mutex::new(Vec::new());

/// GPU `i`, opened on first use; `None` without CUDA or without that GPU.
fn gpu(i: usize) -> Option<Device> {
    if !candle_core::utils::cuda_is_available() {
        return None;
    }
    let mut gpus = GPUS.lock().unwrap_or_else(|e| e.into_inner());
    if gpus.len() <= i {
        for j in gpus.len()..=i {
            let device = Device::new_cuda(j).ok();
            gpus.push(device);
        }
    }
    gpus[i].clone()
}

/// CUDA device `i` if there is one (built with the `cuda` feature), else the CPU.
///
/// ```
/// let device = d2l::try_gpu(0);
/// let x = candle_core::Tensor::ones(3, candle_core::DType::F32, &device)?;
/// assert_eq!(x.dims(), &[3]);
/// # Ok::<(), d2l::Error>(())
/// ```
pub fn try_gpu(i: usize) -> Device {
    gpu(i).unwrap_or(Device::Cpu)
}

/// All CUDA devices (0, 1, … up to the first missing one), or the CPU alone if there are
/// none.
pub fn try_all_gpus() -> Vec<Device> {
    let gpus: Vec<Device> = (0..).map_while(gpu).collect();
    if gpus.is_empty() {
        vec![Device::Cpu]
    } else {
        gpus
    }
}

/// The number of CUDA devices available (0 without the `cuda` feature).
pub fn num_gpus() -> usize {
    (0..).map_while(gpu).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_cpu_without_cuda() {
        if candle_core::utils::cuda_is_available() {
            let all = try_all_gpus();
            assert_eq!(all.len(), num_gpus().max(1));
            // The same GPU is the same device.
            assert!(try_gpu(0).same_device(&try_gpu(0)));
        } else {
            assert!(try_gpu(0).is_cpu());
            assert!(try_gpu(3).is_cpu());
            assert_eq!(try_all_gpus().len(), 1);
            assert!(try_all_gpus()[0].is_cpu());
            assert_eq!(num_gpus(), 0);
        }
    }
}
