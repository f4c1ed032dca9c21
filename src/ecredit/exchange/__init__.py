"""信用信息共享交换: signed, versioned batches of credit information between nodes."""
